import { type Job, Queue, Worker } from "bullmq";
import type { Redis } from "ioredis";
import type { AnchorOutcome, AuditAnchorer } from "../services/audit/anchor/audit-anchorer.ts";
import { queueNames } from "./names.ts";

/** One scheduler for the whole deployment: every coordinator upserts the same one. */
export const auditAnchorSchedulerId = "audit-anchor-every";

export interface AuditAnchoringOptions {
  /** A `producer` connection, for the queue and its scheduler. */
  producer: Redis;
  /** A `worker` connection (blocking commands). */
  worker: Redis;
  prefix: string;
  anchorer: AuditAnchorer;
  /** Pause between passes, ms (AGORA_AUDIT_ANCHOR_EVERY_S × 1,000). */
  everyMs: number;
}

export interface AuditAnchoring {
  queue: Queue;
  worker: Worker;
  /** Stops the worker (a pass in flight finishes) and the queue; the scheduler stays for the next start. */
  close(): Promise<void>;
}

/**
 * The processor: one anchoring pass. A head already anchored is left alone
 * (`unchanged`), so duplicated or overlapping jobs, and several coordinators
 * sharing the scheduler, send at most one transaction per new head. A log that
 * fails verification fails the job and is never anchored.
 */
export function auditAnchorProcessor(anchorer: AuditAnchorer) {
  return async (_job: Job): Promise<AnchorOutcome> => anchorer.anchorOnce();
}

/**
 * Anchors the audit log's head on chain every `everyMs`: a BullMQ job
 * scheduler on the `audit-anchor` queue (upserted, so restarts and several
 * coordinators keep one schedule) and a worker that runs one pass at a time.
 */
export async function startAuditAnchoring(options: AuditAnchoringOptions): Promise<AuditAnchoring> {
  const queue = new Queue(queueNames.auditAnchor, {
    connection: options.producer,
    prefix: options.prefix,
  });
  await queue.upsertJobScheduler(
    auditAnchorSchedulerId,
    { every: options.everyMs },
    {
      name: "anchor",
      data: {},
      opts: { removeOnComplete: { count: 100 }, removeOnFail: { count: 100 } },
    },
  );
  const worker = new Worker(queueNames.auditAnchor, auditAnchorProcessor(options.anchorer), {
    connection: options.worker,
    prefix: options.prefix,
    concurrency: 1,
  });
  return {
    queue,
    worker,
    async close() {
      await worker.close();
      await queue.close();
    },
  };
}
