import type { Redis } from "ioredis";
import type {
  FailureRecord,
  RecordOutcome,
  RoundBook,
  RoundKey,
  RoundPlan,
  RoundResult,
  UpdateRecord,
} from "../services/learning/rounds/round-book.ts";

/**
 * Refuses updates once the round is closed and keeps only the first update
 * per holder, in one atomic step, so a retried or duplicated train job is
 * counted once even when two copies finish at the same moment.
 */
const recordUpdateScript = `
if redis.call("EXISTS", KEYS[1]) == 1 then return "closed" end
if redis.call("HSETNX", KEYS[2], ARGV[1], ARGV[2]) == 1 then return "recorded" end
return "duplicate"
`;

/**
 * RoundBook over Redis, under the queue prefix:
 * `<prefix>:fl:<task>:<round>:{plan,updates,failures,closed,result}`.
 */
export class RedisRoundBook implements RoundBook {
  readonly #redis: Redis;
  readonly #prefix: string;

  /** `redis` is a `client` connection; `prefix` is the deployment's queue prefix. */
  constructor(redis: Redis, prefix: string) {
    this.#redis = redis;
    this.#prefix = prefix;
  }

  #key(key: RoundKey, part: string): string {
    return `${this.#prefix}:fl:${key.taskId}:${key.round}:${part}`;
  }

  async openRound(plan: RoundPlan): Promise<boolean> {
    const set = await this.#redis.set(this.#key(plan, "plan"), JSON.stringify(plan), "NX");
    return set === "OK";
  }

  async getPlan(key: RoundKey): Promise<RoundPlan | undefined> {
    const raw = await this.#redis.get(this.#key(key, "plan"));
    return raw === null ? undefined : (JSON.parse(raw) as RoundPlan);
  }

  async recordUpdate(key: RoundKey, update: UpdateRecord): Promise<RecordOutcome> {
    const outcome = await this.#redis.eval(
      recordUpdateScript,
      2,
      this.#key(key, "closed"),
      this.#key(key, "updates"),
      update.holderId,
      JSON.stringify(update),
    );
    return outcome as RecordOutcome;
  }

  async getUpdate(key: RoundKey, holderId: string): Promise<UpdateRecord | undefined> {
    const raw = await this.#redis.hget(this.#key(key, "updates"), holderId);
    return raw === null ? undefined : (JSON.parse(raw) as UpdateRecord);
  }

  async listUpdates(key: RoundKey): Promise<UpdateRecord[]> {
    const all = await this.#redis.hvals(this.#key(key, "updates"));
    return all
      .map((raw) => JSON.parse(raw) as UpdateRecord)
      .sort((a, b) => a.holderId.localeCompare(b.holderId));
  }

  async recordFailure(key: RoundKey, failure: FailureRecord): Promise<void> {
    await this.#redis.hsetnx(this.#key(key, "failures"), failure.holderId, JSON.stringify(failure));
  }

  async listFailures(key: RoundKey): Promise<FailureRecord[]> {
    const all = await this.#redis.hvals(this.#key(key, "failures"));
    return all
      .map((raw) => JSON.parse(raw) as FailureRecord)
      .sort((a, b) => a.holderId.localeCompare(b.holderId));
  }

  async markClosed(key: RoundKey): Promise<boolean> {
    return (await this.#redis.set(this.#key(key, "closed"), String(Date.now()), "NX")) === "OK";
  }

  async isClosed(key: RoundKey): Promise<boolean> {
    return (await this.#redis.exists(this.#key(key, "closed"))) === 1;
  }

  async saveResult(result: RoundResult): Promise<RoundResult> {
    await this.#redis.set(this.#key(result, "result"), JSON.stringify(result), "NX");
    return (await this.getResult(result)) ?? result;
  }

  async getResult(key: RoundKey): Promise<RoundResult | undefined> {
    const raw = await this.#redis.get(this.#key(key, "result"));
    return raw === null ? undefined : (JSON.parse(raw) as RoundResult);
  }
}
