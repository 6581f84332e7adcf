import { DelayedError, type Job, UnrecoverableError, Worker } from "bullmq";
import type { Redis } from "ioredis";
import { isAgoraError } from "../services/errors/agora-error.ts";
import { runSettlement } from "../services/settlement/pipeline/run-settlement.ts";
import type { SettlementDependencies } from "../services/settlement/pipeline/settlement-dependencies.ts";
import { queueNames, stalledCheckIntervalMs } from "./names.ts";
import { settleJobSchema } from "./payloads.ts";

export { settleJobId } from "./payloads.ts";

export interface SettleWorkerOptions {
  /** A `worker` connection (blocking commands). */
  connection: Redis;
  prefix: string;
  settlement: SettlementDependencies;
  /**
   * Longest a waiting job sleeps before it looks at the rail again, in ms.
   * The escrow's windows run on chain time, which need not follow the wall
   * clock exactly. Default 60,000.
   */
  maxWaitMs?: number;
  /** Tasks settled at once. Default 1. */
  concurrency?: number;
}

export interface SettleJobResult {
  taskId: string;
  status: "settled";
  step: string;
}

/**
 * Runs the settle pipeline for each `settle` job. The pipeline resumes from
 * the task's checkpoint, so a retried job (after a crash or a failed rail
 * call) continues where the last one stopped. A step that must wait (the
 * escrow's challenge window) puts the job back as delayed instead of holding
 * a worker; bad input fails the job for good, as retrying cannot fix it.
 */
export function startSettleWorker(options: SettleWorkerOptions): Worker {
  const maxWaitMs = options.maxWaitMs ?? 60_000;
  return new Worker(
    queueNames.settle,
    async (job: Job, token?: string): Promise<SettleJobResult> => {
      const parsed = settleJobSchema.safeParse(job.data);
      if (!parsed.success) throw new UnrecoverableError(`bad settle job: ${parsed.error.message}`);
      const { taskId } = parsed.data;
      let outcome: Awaited<ReturnType<typeof runSettlement>>;
      try {
        outcome = await runSettlement(options.settlement, taskId);
      } catch (error) {
        if (isAgoraError(error) && error.kind === "invalid") {
          throw new UnrecoverableError(`${error.message}: ${error.detail ?? ""}`);
        }
        throw error;
      }
      if (outcome.status === "waiting") {
        const until = Math.min(outcome.retryAt.getTime(), Date.now() + maxWaitMs);
        await job.updateProgress({ step: outcome.run.step, waiting: outcome.reason, until });
        await job.moveToDelayed(until, token);
        throw new DelayedError();
      }
      return { taskId, status: "settled", step: outcome.run.step };
    },
    {
      connection: options.connection,
      prefix: options.prefix,
      concurrency: options.concurrency ?? 1,
      stalledInterval: stalledCheckIntervalMs,
    },
  );
}
