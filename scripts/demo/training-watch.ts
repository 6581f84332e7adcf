import { setTimeout as sleep } from "node:timers/promises";
import type { Job } from "bullmq";
import { createRedisConnection } from "../../queues/connection.ts";
import { type RoundProgress, RoundProgressChannel } from "../../queues/round-progress.ts";
import type { TrainJobResult } from "../../queues/train-worker.ts";
import type { AgoraApiClient } from "../../services/cli/api-client.ts";
import type { DemoApi } from "./demo-api.ts";
import type { DemoHolder } from "./holders.ts";
import type { DemoProgress } from "./progress.ts";

/** Statuses after which no round will run any more. */
const pastTraining = new Set(["settling", "settled", "disputed", "cancelled"]);

/** Per round: which holders' updates were recorded on time and which came late. */
export interface TrainJobTally {
  onTime: Map<number, Set<string>>;
  late: Map<number, Set<string>>;
}

/**
 * Follows training live: the round progress the aggregator publishes on the
 * task's Redis channel moves the bar round by round, and each holder's
 * worker reports its train jobs (recorded on time, or late) as they finish.
 * Resolves with every round's progress once the last round closed.
 */
export async function watchTraining(options: {
  api: DemoApi;
  /** A signed-in session that reads the task's status (the owner's). */
  client: AgoraApiClient;
  holders: readonly DemoHolder[];
  taskId: string;
  rounds: number;
  progress: DemoProgress;
  timeoutMs: number;
  /** Called once the subscription is live: start the task here, so no round is missed. */
  start: () => Promise<void>;
}): Promise<{ rounds: RoundProgress[]; tally: TrainJobTally }> {
  const { api, taskId } = options;
  const prefix = api.config.AGORA_QUEUE_PREFIX;
  // One handle on the progress stream: its channel for live lines, its history for the record.
  const stream = new RoundProgressChannel(api.running.deps.redis, prefix);
  const tally: TrainJobTally = { onTime: new Map(), late: new Map() };
  const bar = options.progress.bar("training rounds", options.rounds);
  const closed: RoundProgress[] = [];
  let current = 0;
  let lastAccuracy = "";
  const detail = () =>
    `round ${current + 1}: ${tally.onTime.get(current)?.size ?? 0} updates${lastAccuracy}`;

  const listeners = options.holders.map((holder) => {
    const listener = (job: Job, result: TrainJobResult) => {
      if (job.data?.taskId !== taskId || typeof job.data.round !== "number") return;
      const book = result.status === "recorded" ? tally.onTime : tally.late;
      const round = job.data.round as number;
      book.set(round, (book.get(round) ?? new Set()).add(holder.id));
      bar.update(closed.length, detail());
    };
    holder.worker.on("completed", listener);
    return () => holder.worker.off("completed", listener);
  });

  const subscriber = createRedisConnection({ url: api.config.REDIS_URL, role: "worker" });
  let finished = false;
  subscriber.on("message", (_channel: string, body: string) => {
    const event = JSON.parse(body) as RoundProgress;
    if (event.taskId !== taskId) return;
    if (event.status === "task-completed") {
      finished = true;
      return;
    }
    closed.push(event);
    current = event.round + 1;
    if (event.accuracy !== undefined) lastAccuracy = ` · accuracy ${event.accuracy.toFixed(3)}`;
    bar.update(closed.length, detail());
  });
  try {
    await subscriber.subscribe(stream.channel);
    await options.start();
    const until = Date.now() + options.timeoutMs;
    // The channel says when the task is done; the status is checked too, in case a message was lost.
    while (!finished) {
      if (Date.now() > until)
        throw new Error(`training did not finish within ${options.timeoutMs / 1000} s`);
      await sleep(500);
      const task = await options.client.get<{ status: string }>(`/tasks/${taskId}`);
      if (pastTraining.has(task.status)) finished = true;
    }
  } finally {
    for (const stop of listeners) stop();
    await subscriber.quit().catch(() => subscriber.disconnect());
  }
  // The stream keeps every round's line: read it back rather than trust the live messages alone.
  const rounds = (await stream.history(taskId)).filter(
    (event) => event.status !== "task-completed",
  );
  const aggregated = rounds.filter((event) => event.status === "aggregated");
  bar.done(
    `${aggregated.length} of ${options.rounds} rounds aggregated` +
      (lastAccuracy === "" ? "" : `, final${lastAccuracy.replace(" · ", " ")}`),
  );
  return { rounds: rounds.sort((a, b) => a.round - b.round), tally };
}
