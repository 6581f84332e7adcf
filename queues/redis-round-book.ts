import type { Redis } from "ioredis";
import type {
  ArrivalWatch,
  ClosedRound,
  FailureRecord,
  HolderStanding,
  RecordOutcome,
  RecordReceipt,
  RoundBook,
  RoundKey,
  RoundPlan,
  RoundResult,
  UpdateArrival,
  UpdateRecord,
} from "../services/learning/rounds/round-book.ts";

/**
 * Refuses updates once the round is closed and keeps only the first update
 * per holder, in one atomic step, so a retried or duplicated train job is
 * counted once even when two copies finish at the same moment. It also
 * answers how many updates the round holds (HLEN is O(1)) against the target
 * written at `openRound`, so no train job ever lists the round's updates.
 * A recorded update is appended to the round's arrival list (the order a
 * running aggregation folds in) and announced on the arrivals channel with
 * its place in that list, so an aggregator can fetch it while others train.
 * KEYS: closed, updates, target, arrivals.
 * ARGV: holder id, record, arrivals channel, "<task> <round>".
 */
const recordUpdateScript = `
if redis.call("EXISTS", KEYS[1]) == 1 then return {"closed", 0, 0} end
if redis.call("HSETNX", KEYS[2], ARGV[1], ARGV[2]) == 0 then
  return {"duplicate", redis.call("HLEN", KEYS[2]), 0}
end
local sequence = redis.call("RPUSH", KEYS[4], ARGV[1])
redis.call("PUBLISH", ARGV[3], ARGV[4] .. " " .. sequence .. " " .. ARGV[2])
local recorded = redis.call("HLEN", KEYS[2])
local target = tonumber(redis.call("GET", KEYS[3]) or "0")
if target > 0 and recorded >= target then return {"recorded", recorded, 1} end
return {"recorded", recorded, 0}
`;

type RecordReply = [RecordOutcome, number, number];

/** `<task> <round> <sequence> <record JSON>`, as the record script publishes it. */
function parseArrival(message: string): UpdateArrival | undefined {
  const [taskId, round, sequence] = message.split(" ", 3);
  const json = message.slice(`${taskId} ${round} ${sequence} `.length);
  try {
    return {
      key: { taskId: taskId as string, round: Number(round) },
      sequence: Number(sequence),
      update: JSON.parse(json) as UpdateRecord,
    };
  } catch {
    return undefined;
  }
}

const parseAll = <T extends { holderId: string }>(raws: string[]): T[] =>
  raws.map((raw) => JSON.parse(raw) as T).sort((a, b) => a.holderId.localeCompare(b.holderId));

type ScriptedRedis = Redis & {
  agoraRecordUpdate(...args: string[]): Promise<RecordReply>;
};

/**
 * Registers the script as a command: ioredis then sends EVALSHA (not the
 * script's text with every update) and falls back to EVAL after NOSCRIPT.
 */
function withScripts(redis: Redis): ScriptedRedis {
  if (!("agoraRecordUpdate" in redis)) {
    redis.defineCommand("agoraRecordUpdate", { numberOfKeys: 4, lua: recordUpdateScript });
  }
  return redis as ScriptedRedis;
}

/**
 * RoundBook over Redis, under the queue prefix:
 * `<prefix>:fl:<task>:<round>:{plan,target,updates,arrivals,failures,closed,result}`,
 * and the channel `<prefix>:fl:arrivals`.
 */
export class RedisRoundBook implements RoundBook {
  readonly #redis: ScriptedRedis;
  readonly #prefix: string;

  /** `redis` is a `client` connection; `prefix` is the deployment's queue prefix. */
  constructor(redis: Redis, prefix: string) {
    this.#redis = withScripts(redis);
    this.#prefix = prefix;
  }

  #key(key: RoundKey, part: string): string {
    return `${this.#prefix}:fl:${key.taskId}:${key.round}:${part}`;
  }

  get #arrivalsChannel(): string {
    return `${this.#prefix}:fl:arrivals`;
  }

  async openRound(plan: RoundPlan): Promise<boolean> {
    // Both NX in one transaction: the target always belongs to the plan that won.
    const replies = await this.#redis
      .multi()
      .set(this.#key(plan, "plan"), JSON.stringify(plan), "NX")
      .set(this.#key(plan, "target"), String(plan.targetUpdates), "NX")
      .exec();
    return replies?.[0]?.[1] === "OK";
  }

  async getPlan(key: RoundKey): Promise<RoundPlan | undefined> {
    const raw = await this.#redis.get(this.#key(key, "plan"));
    return raw === null ? undefined : (JSON.parse(raw) as RoundPlan);
  }

  async recordUpdate(key: RoundKey, update: UpdateRecord): Promise<RecordReceipt> {
    const [outcome, recorded, reached] = await this.#redis.agoraRecordUpdate(
      this.#key(key, "closed"),
      this.#key(key, "updates"),
      this.#key(key, "target"),
      this.#key(key, "arrivals"),
      update.holderId,
      JSON.stringify(update),
      this.#arrivalsChannel,
      `${key.taskId} ${key.round}`,
    );
    return { outcome, recorded, reachedTarget: reached === 1 };
  }

  async getUpdate(key: RoundKey, holderId: string): Promise<UpdateRecord | undefined> {
    const raw = await this.#redis.hget(this.#key(key, "updates"), holderId);
    return raw === null ? undefined : (JSON.parse(raw) as UpdateRecord);
  }

  async standing(key: RoundKey, holderId: string): Promise<HolderStanding> {
    const replies = await this.#redis
      .multi()
      .hget(this.#key(key, "updates"), holderId)
      .exists(this.#key(key, "closed"))
      .exec();
    const raw = replies?.[0]?.[1] as string | null;
    return {
      ...(raw != null && { update: JSON.parse(raw) as UpdateRecord }),
      closed: replies?.[1]?.[1] === 1,
    };
  }

  async listUpdates(key: RoundKey): Promise<UpdateRecord[]> {
    return parseAll(await this.#redis.hvals(this.#key(key, "updates")));
  }

  async recordFailure(key: RoundKey, failure: FailureRecord): Promise<void> {
    await this.#redis.hsetnx(this.#key(key, "failures"), failure.holderId, JSON.stringify(failure));
  }

  async listFailures(key: RoundKey): Promise<FailureRecord[]> {
    return parseAll(await this.#redis.hvals(this.#key(key, "failures")));
  }

  async markClosed(key: RoundKey): Promise<boolean> {
    return (await this.#redis.set(this.#key(key, "closed"), String(Date.now()), "NX")) === "OK";
  }

  async isClosed(key: RoundKey): Promise<boolean> {
    return (await this.#redis.exists(this.#key(key, "closed"))) === 1;
  }

  async closeAndCollect(key: RoundKey): Promise<ClosedRound> {
    const replies = await this.#redis
      .multi()
      .set(this.#key(key, "closed"), String(Date.now()), "NX")
      .hvals(this.#key(key, "updates"))
      .hvals(this.#key(key, "failures"))
      .lrange(this.#key(key, "arrivals"), 0, -1)
      .exec();
    const [closed, updates, failures, arrivals] = (replies ?? []).map(([error, value]) => {
      if (error) throw error;
      return value;
    });
    return {
      closedNow: closed === "OK",
      updates: parseAll<UpdateRecord>(updates as string[]),
      failures: parseAll<FailureRecord>(failures as string[]),
      arrivals: arrivals as string[],
    };
  }

  /**
   * Subscribes on a connection of its own (a subscribed connection can do
   * nothing else); ioredis subscribes again after a reconnect. Arrivals
   * announced while it was away are not replayed: a listener must treat
   * them as a head start, never as the record (that is `closeAndCollect`).
   */
  async watchArrivals(listener: (arrival: UpdateArrival) => void): Promise<ArrivalWatch> {
    const subscriber = this.#redis.duplicate({
      connectionName: "agora-fl-arrivals",
      enableOfflineQueue: true,
      maxRetriesPerRequest: null,
    });
    const channel = this.#arrivalsChannel;
    subscriber.on("message", (from: string, message: string) => {
      if (from !== channel) return;
      const arrival = parseArrival(message);
      if (arrival !== undefined) listener(arrival);
    });
    await subscriber.subscribe(channel);
    return {
      stop: async () => {
        await subscriber.quit().catch(() => subscriber.disconnect());
      },
    };
  }

  async saveResult(result: RoundResult): Promise<RoundResult> {
    // Write unless written, and read what is stored, in one round trip.
    const key = this.#key(result, "result");
    const replies = await this.#redis
      .multi()
      .set(key, JSON.stringify(result), "NX")
      .get(key)
      .exec();
    const [error, raw] = replies?.[1] ?? [new Error("saveResult: transaction aborted"), null];
    if (error) throw error;
    return raw == null ? result : (JSON.parse(raw as string) as RoundResult);
  }

  async getResult(key: RoundKey): Promise<RoundResult | undefined> {
    const raw = await this.#redis.get(this.#key(key, "result"));
    return raw === null ? undefined : (JSON.parse(raw) as RoundResult);
  }
}
