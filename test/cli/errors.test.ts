import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Command } from "commander";
import { Wallet } from "ethers";
import { createProgram } from "../../services/cli/main.ts";
import { startTestApi, type TestApi } from "../support/api-client.ts";
import { deadUrl, expectExit, runAgora, scratchFiles } from "./run-agora.ts";

const someone = Wallet.createRandom();

/** Every command path, e.g. ["owner", "post"], from the program itself so new commands are covered. */
function commandPaths(command: Command, prefix: string[] = []): string[][] {
  return command.commands.flatMap((child) => {
    const path = [...prefix, child.name()];
    return [path, ...commandPaths(child, path)];
  });
}

describe("agora CLI: help, usage errors, problems and an unreachable API", () => {
  let api: TestApi;
  let files: Awaited<ReturnType<typeof scratchFiles>>;
  const env = () => ({
    AGORA_API_URL: api.running.url.origin,
    AGORA_PRIVATE_KEY: someone.privateKey,
  });

  before(async () => {
    api = await startTestApi();
    files = await scratchFiles();
  });
  after(async () => {
    await files?.remove();
    await api?.close();
  });

  it("exits 0 with usage text for --help on the program and every command", async () => {
    const paths = [[], ...commandPaths(createProgram())];
    assert.ok(paths.length >= 16, `${paths.length} commands`);
    const runs = await Promise.all(paths.map((path) => runAgora([...path, "--help"])));
    runs.forEach((run, index) => {
      expectExit(run, 0);
      assert.match(run.stdout, /^Usage: agora/m, paths[index]?.join(" "));
    });
    assert.match(runs[0]?.stdout ?? "", /Exit codes:/);
  });

  it("exits 1 on usage errors: unknown command, missing option, bad value, no key", async () => {
    expectExit(await runAgora(["owner", "launch"], env()), 1);
    const missing = expectExit(await runAgora(["owner", "post"], env()), 1);
    assert.match(missing.stderr, /--spec <file>/);
    const badPrice = expectExit(await runAgora(["holder", "bid", "t", "--price", "1.5"], env()), 1);
    assert.match(badPrice.stderr, /whole minor units/);
    const noKey = expectExit(
      await runAgora(["owner", "fund", "t"], { AGORA_API_URL: api.running.url.origin }),
      1,
    );
    assert.match(noKey.stderr, /no key/);
    const badKey = await runAgora(["owner", "fund", "t", "--key", "0xnot-a-key"], env());
    assert.match(expectExit(badKey, 1).stderr, /32 bytes of hex/);
    assert.doesNotMatch(badKey.stderr, /not-a-key/);
    expectExit(await runAgora(["holder", "policy"], env()), 1);
  });

  it("exits 1 when the input file is missing or is not JSON", async () => {
    const missing = expectExit(
      await runAgora(["owner", "post", "--spec", files.path("absent.json")], env()),
      1,
    );
    assert.match(missing.stderr, /cannot read the task spec file .*absent\.json: no such file/);
    const malformed = await files.write("malformed.json", "{ spec: ");
    const bad = expectExit(
      await runAgora(["holder", "register", "--profile", malformed], env()),
      1,
    );
    assert.match(bad.stderr, /holder profile file .* is not valid JSON/);
  });

  it("exits 2 with the problem's title, detail and field pointers when the API refuses", async () => {
    const invalid = await files.write("invalid.json", { spec: {}, budget: "lots" });
    const refused = expectExit(await runAgora(["owner", "post", "--spec", invalid], env()), 2);
    assert.match(refused.stderr, /^error: .+ \(HTTP 422, invalid\)/m);
    assert.match(refused.stderr, /\/budget: /);

    const unknown = expectExit(await runAgora(["owner", "fund", "task-nope"], env()), 2);
    assert.match(unknown.stderr, /HTTP 404/);

    const wrongRole = expectExit(await runAgora(["audit", "decisions", "--json"], env()), 2);
    const { problem } = JSON.parse(wrongRole.stderr) as {
      problem: { title: string; detail: string };
    };
    assert.equal(problem.title, "Role not granted");
    assert.match(problem.detail, /may not act as auditor/);
  });

  it("exits 3 when nothing answers at the API URL", async () => {
    const url = await deadUrl();
    const run = expectExit(
      await runAgora(["owner", "status", "task-1"], { ...env(), AGORA_API_URL: url }),
      3,
    );
    assert.match(run.stderr, new RegExp(`cannot reach the Agora API at ${url}: ECONNREFUSED`));
    const flag = await runAgora(["owner", "status", "task-1", "--api", url], env());
    expectExit(flag, 3);
  });
});
