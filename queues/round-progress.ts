import type { Redis } from "ioredis";

/** One line of a task's training progress, as the API and CLI show it. */
export interface RoundProgress {
  taskId: string;
  round: number;
  status: "aggregated" | "failed" | "task-completed";
  /** Validation accuracy of the new global model, in [0, 1]. */
  accuracy?: number;
  participants: string[];
  dropped: string[];
  failed: string[];
  modelHash?: string;
  at: number;
}

/**
 * Progress goes to a per-task Redis stream (readable later, capped) and to a
 * pub/sub channel (for live dashboards and `agora watch`).
 */
export class RoundProgressChannel {
  readonly #redis: Redis;
  readonly #prefix: string;

  constructor(redis: Redis, prefix: string) {
    this.#redis = redis;
    this.#prefix = prefix;
  }

  /** Pub/sub channel carrying every task's progress. */
  get channel(): string {
    return `${this.#prefix}:fl:progress`;
  }

  streamKey(taskId: string): string {
    return `${this.#prefix}:fl:progress:${taskId}`;
  }

  async publish(progress: RoundProgress): Promise<void> {
    const body = JSON.stringify(progress);
    await this.#redis
      .multi()
      .xadd(this.streamKey(progress.taskId), "MAXLEN", "~", "10000", "*", "progress", body)
      .publish(this.channel, body)
      .exec();
  }

  /** Every progress line of a task, oldest first. */
  async history(taskId: string): Promise<RoundProgress[]> {
    const entries = await this.#redis.xrange(this.streamKey(taskId), "-", "+");
    return entries.map(([, fields]) => JSON.parse(fields[1] as string) as RoundProgress);
  }
}
