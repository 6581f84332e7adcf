import { type Job, Queue } from "bullmq";
import { Redis } from "ioredis";
import { trainQueueName } from "../../../queues/names.ts";
import type { Deployment } from "./deployment.ts";

/**
 * A read-only look at one holder's train queue, to time a fault: the test
 * injects it while a job is really running, never drives the queue itself.
 */
export class TrainQueueProbe {
  readonly #redis: Redis;
  readonly #queue: Queue;

  constructor(deployment: Deployment, holderId: string) {
    this.#redis = new Redis(deployment.redisUrl, { maxRetriesPerRequest: null });
    this.#redis.on("error", () => {});
    this.#queue = new Queue(trainQueueName(holderId), {
      connection: this.#redis,
      prefix: deployment.prefix,
    });
    this.#queue.on("error", () => {});
  }

  /** Resolves with the first job seen active (polled every 20 ms). */
  async activeJob(timeoutMs: number): Promise<Job> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const [active] = await this.#queue.getActive(0, 0);
      if (active !== undefined) return active;
      if (Date.now() > until) throw new Error(`no active train job within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  async stateOf(jobId: string): Promise<string> {
    return this.#queue.getJobState(jobId);
  }

  async close(): Promise<void> {
    await this.#queue.close();
    this.#redis.disconnect();
  }
}
