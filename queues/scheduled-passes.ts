import { Queue, Worker } from "bullmq";
import type { Redis } from "ioredis";

interface ScheduledPassesOptions<Outcome> {
  queueName: string;
  /** One scheduler for the whole deployment: every coordinator upserts the same id. */
  schedulerId: string;
  /** A `producer` connection, for the queue and its scheduler. */
  producer: Redis;
  /** A `worker` connection (blocking commands). */
  worker: Redis;
  prefix: string;
  /** Pause between passes, ms. */
  everyMs: number;
  /** One pass; it must be safe to run twice over the same state. */
  pass: () => Promise<Outcome>;
}

export interface ScheduledPasses {
  queue: Queue;
  worker: Worker;
  /** Stops the worker (a pass in flight finishes) and the queue; the scheduler stays for the next start. */
  close(): Promise<void>;
}

/**
 * Runs `pass` every `everyMs` as a BullMQ job scheduler (upserted, so
 * restarts and several coordinators keep one schedule) and a worker that
 * runs one pass at a time. Passes are idempotent by contract, so a
 * duplicated or overlapping job changes nothing.
 */
export async function startScheduledPasses<Outcome>(
  options: ScheduledPassesOptions<Outcome>,
): Promise<ScheduledPasses> {
  const queue = new Queue(options.queueName, {
    connection: options.producer,
    prefix: options.prefix,
  });
  await queue.upsertJobScheduler(
    options.schedulerId,
    { every: options.everyMs },
    {
      name: "pass",
      data: {},
      opts: { removeOnComplete: { count: 100 }, removeOnFail: { count: 100 } },
    },
  );
  const worker = new Worker(options.queueName, () => options.pass(), {
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
