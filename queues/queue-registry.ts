import { Queue } from "bullmq";
import type { Redis } from "ioredis";
import { fixedQueueNames } from "./names.ts";

export interface QueueRegistryOptions {
  /** A `producer` connection (see createRedisConnection); shared by every queue here. */
  connection: Redis;
  /** BullMQ key prefix; each test run uses its own. */
  prefix: string;
}

/**
 * One `Queue` object per name for the life of the process. Per-holder train
 * queues appear as holders register, so `discover` finds them in Redis too
 * (for Bull Board and metrics), not only the ones this process created.
 */
export class QueueRegistry {
  readonly #options: QueueRegistryOptions;
  readonly #queues = new Map<string, Queue>();

  constructor(options: QueueRegistryOptions) {
    this.#options = options;
  }

  get prefix(): string {
    return this.#options.prefix;
  }

  get(name: string): Queue {
    let queue = this.#queues.get(name);
    if (queue === undefined) {
      queue = new Queue(name, {
        connection: this.#options.connection,
        prefix: this.#options.prefix,
      });
      this.#queues.set(name, queue);
    }
    return queue;
  }

  /** The fixed queues plus every queue that exists in Redis under our prefix. */
  async discover(): Promise<Queue[]> {
    const names = new Set<string>(fixedQueueNames);
    const pattern = `${this.#options.prefix}:*:meta`;
    let cursor = "0";
    do {
      const [next, keys] = await this.#options.connection.scan(
        cursor,
        "MATCH",
        pattern,
        "COUNT",
        500,
      );
      cursor = next;
      for (const key of keys) {
        names.add(key.slice(this.#options.prefix.length + 1, -":meta".length));
      }
    } while (cursor !== "0");
    return [...names].sort().map((name) => this.get(name));
  }

  async close(): Promise<void> {
    await Promise.all([...this.#queues.values()].map((queue) => queue.close()));
    this.#queues.clear();
  }
}
