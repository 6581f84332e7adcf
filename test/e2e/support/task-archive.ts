import assert from "node:assert/strict";
import type { AgoraApiClient } from "../../../services/cli/api-client.ts";
import type { TaskView } from "../../../services/cli/api-views.ts";
import { UnreachableError } from "../../../services/cli/exit-codes.ts";
import type { OpenDatabase } from "../../../services/store/database.ts";
import { createRepositories } from "../../../services/store/repositories.ts";

/**
 * Polls `GET /tasks/:id` until the task is `status`. An API that does not
 * answer (it is being restarted) is waited for like a slow one.
 */
export async function waitForTaskStatus(
  client: AgoraApiClient,
  taskId: string,
  status: string,
  timeoutMs: number,
  describe: () => string = () => "",
): Promise<void> {
  const until = Date.now() + timeoutMs;
  let last = "unknown";
  for (;;) {
    try {
      last = (await client.get<TaskView>(`/tasks/${taskId}`)).status;
      if (last === status) return;
    } catch (error) {
      if (!(error instanceof UnreachableError)) throw error;
      last = "unreachable";
    }
    if (Date.now() > until) {
      assert.fail(`task ${taskId} is ${last}, not ${status}, after ${timeoutMs} ms\n${describe()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** What the contribution rows record about the updates a round aggregated. */
interface ScoredInputs {
  participants?: string[];
  updates?: { holderId: string; updateHash: string }[];
}

/**
 * Asserts, from what the coordinator stored, that every round of the task
 * closed with exactly one update from each holder: one on-time update row,
 * one score, and one entry in the aggregated set (the contribution inputs
 * list the updates the round's model was made of), whose hash is the
 * stored update's. A lost update is a missing entry; one counted twice is
 * a repeated one. Each round also starts from the previous round's model.
 */
export async function expectEachHolderOncePerRound(
  store: OpenDatabase,
  taskId: string,
  holderIds: readonly string[],
  rounds: number,
): Promise<void> {
  const repos = createRepositories(store.db);
  const expected = [...holderIds].sort();
  const archived = await repos.rounds.listForTask(taskId);
  assert.deepEqual(
    archived.map((round) => [round.round, round.status]),
    Array.from({ length: rounds }, (_, round) => [round, "aggregated"]),
  );
  const contributions = await repos.contributions.forTask(taskId);
  for (const round of archived) {
    if (round.round > 0) {
      const previous = archived[round.round - 1];
      assert.equal(round.globalModelHash, previous?.resultModelHash, "chained models");
    }
    const updates = await repos.rounds.onTimeUpdates(taskId, round.round);
    assert.deepEqual(updates.map((update) => update.holderId).sort(), expected);
    const scored = contributions.filter((row) => row.round === round.round);
    assert.deepEqual(scored.map((row) => row.holderId).sort(), expected, "one score each");
    const inputs = scored[0]?.inputs as ScoredInputs | undefined;
    assert.deepEqual([...(inputs?.participants ?? [])].sort(), expected, "aggregated once each");
    const aggregated = new Map((inputs?.updates ?? []).map((u) => [u.holderId, u.updateHash]));
    assert.equal(inputs?.updates?.length, expected.length, "no update counted twice");
    for (const update of updates) {
      assert.equal(aggregated.get(update.holderId), update.blobHash, "the stored update was used");
    }
  }
  const payouts = await repos.payouts.listForTask(taskId);
  assert.deepEqual(payouts.map((payout) => payout.holderId).sort(), expected, "one payout each");
}
