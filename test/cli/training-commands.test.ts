import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Wallet } from "ethers";
import { createRepositories } from "../../services/store/repositories.ts";
import { e2eSpec, e2eTask } from "../e2e/support/market-driver.ts";
import { login, startTestApi, type TestApi } from "../support/api-client.ts";
import { expectExit, jsonOf, runAgora, scratchFiles } from "./run-agora.ts";

/**
 * `agora owner start` and `agora owner status --watch` at the edges; the
 * end-to-end tests (test/e2e) run them on tasks that really train.
 */
describe("agora owner start and status --watch", () => {
  const owner = Wallet.createRandom();
  let api: TestApi;
  let files: Awaited<ReturnType<typeof scratchFiles>>;
  const asOwner = (...args: string[]) =>
    runAgora(args, { AGORA_API_URL: api.running.url.origin, AGORA_PRIVATE_KEY: owner.privateKey });
  const postTask = async (): Promise<string> =>
    jsonOf<{ id: string }>(
      await asOwner(
        "owner",
        "post",
        "--spec",
        await files.write("task.json", e2eTask(e2eSpec())),
        "--json",
      ),
    ).id;

  before(async () => {
    api = await startTestApi();
    files = await scratchFiles();
  });
  after(async () => {
    await files?.remove();
    await api?.close();
  });

  it("refuses to start a task whose agreements are not signed (exit 2, 409)", async () => {
    const taskId = await postTask();
    const run = expectExit(await asOwner("owner", "start", taskId), 2);
    assert.match(run.stderr, /Task is not ready to train \(HTTP 409/);
    assert.match(run.stderr, new RegExp(`Task ${taskId} is draft`));
  });

  it("watches until the task settles (exit 0) and shows where it ended", async () => {
    const taskId = await postTask();
    const repos = createRepositories(api.running.deps.database.db);
    await repos.tasks.transition(taskId, "draft", "settled");
    const run = expectExit(await asOwner("owner", "status", taskId, "--watch"), 0);
    assert.match(run.stdout, /status:\s+settled/);
    assert.match(run.stdout, /rounds:\s+0 of 2 closed/);
    assert.match(run.stderr, new RegExp(`task ${taskId}: settled, rounds 0/2 closed`));
  });

  it("ends a watch on a cancelled task with exit 2", async () => {
    const taskId = await postTask();
    expectExit(await asOwner("owner", "fund", taskId), 0);
    const watch = asOwner("owner", "status", taskId, "--watch", "--interval", "0.2");
    const cancelled = await fetch(api.url(`/tasks/${taskId}/cancel`), {
      method: "POST",
      headers: { authorization: `Bearer ${await login(api, owner, ["owner"])}` },
    });
    assert.equal(cancelled.status, 200, await cancelled.text());
    const run = expectExit(await watch, 2);
    assert.match(run.stderr, /Task did not settle \(HTTP 409, task_cancelled\)/);
    assert.match(run.stderr, /ended cancelled after 0 of 2 rounds/);
  });
});
