import { setTimeout as sleep } from "node:timers/promises";
import type { DemoApi } from "./demo-api.ts";
import type { DemoProgress } from "./progress.ts";

/**
 * Follows the coordinator's round-closed worker as it archives each round and
 * scores its contributions (exact Shapley: every coalition's model rebuilt
 * from the real updates and evaluated on the owner's validation set). Reads
 * the coordinator's own tables, as an operator's console would; resolves
 * once every aggregated round is scored.
 */
export async function watchScoring(options: {
  api: DemoApi;
  taskId: string;
  rounds: readonly number[];
  progress: DemoProgress;
  timeoutMs: number;
}): Promise<string> {
  const { api, taskId, rounds } = options;
  const repos = api.running.deps.market.repos;
  const bar = options.progress.bar("contributions scored", rounds.length);
  const until = Date.now() + options.timeoutMs;
  for (;;) {
    const rows = await repos.contributions.forTask(taskId);
    const scored = new Set(rows.map((row) => row.round));
    bar.update(
      rounds.filter((round) => scored.has(round)).length,
      `round ${Math.min(scored.size + 1, rounds.length)}`,
    );
    if (rounds.every((round) => scored.has(round))) {
      const methods = [...new Set(rows.map((row) => row.method))].join(", ");
      bar.done(`${rows.length} scores over ${rounds.length} rounds by ${methods}`);
      return methods;
    }
    if (Date.now() > until) {
      bar.done(`only ${scored.size} of ${rounds.length} rounds scored`);
      throw new Error(`contributions not scored within ${options.timeoutMs / 1000} s`);
    }
    await sleep(500);
  }
}
