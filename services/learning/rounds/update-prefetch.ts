import type { BlobStore } from "../blobs/blob-store.ts";
import { getWeights } from "../blobs/weight-blobs.ts";
import { assertModelKind } from "../models/architecture.ts";
import { embedTier } from "../models/tier-mapping.ts";
import { createStrategy } from "../strategies/create-strategy.ts";
import type { FitReply, RunningAggregation } from "../strategies/strategy.ts";
import type { RoundBook, RoundKey, RoundPlan, UpdateArrival, UpdateRecord } from "./round-book.ts";

/** An update as the aggregate step uses it: read from the store, verified, placed in the full model. */
export async function loadReply(
  blobs: BlobStore,
  update: UpdateRecord,
  plan: Pick<RoundPlan, "model">,
  global: Float32Array,
): Promise<FitReply> {
  const sub = await getWeights(blobs, update.updateHash);
  if (update.tier === 0)
    return { holderId: update.holderId, weights: sub, samples: update.samples };
  const { weights, coverage } = embedTier(sub, global, assertModelKind(plan.model), update.tier);
  return { holderId: update.holderId, weights, samples: update.samples, coverage };
}

/** What was done for a round before it closed. */
export interface PrefetchedRound {
  /** The round's global model (read once). */
  global: Float32Array;
  /** For rules that aggregate incrementally: the updates folded so far, in arrival order. */
  running?: RunningAggregation;
  /** What `running` holds, in folding order (arrivals past the deadline are skipped, as at close). */
  folded: Pick<UpdateRecord, "holderId" | "updateHash">[];
  /** Updates read but not folded (rules that need them all), by holder id. */
  replies: Map<string, { updateHash: string; reply: FitReply }>;
}

export interface UpdatePrefetchOptions {
  blobs: BlobStore;
  book: Pick<RoundBook, "getPlan">;
  /**
   * Most bytes of unfolded updates kept for rules that need them all; past
   * it the aggregate step reads the rest itself.
   * @default 256 MiB
   */
  maxBytes?: number;
  /**
   * Rounds followed at once; the oldest is dropped first (a round closed by
   * another aggregator process is never taken here).
   * @default 16
   */
  maxRounds?: number;
}

interface RoundState {
  key: RoundKey;
  /** Handed over (or dropped): later arrivals are ignored. */
  taken: boolean;
  /** Plan, global model and running aggregation, once read. */
  ready: Promise<{ plan: RoundPlan; prefetched: PrefetchedRound } | undefined>;
  /** Next arrival to fold; arrivals are folded strictly in order. */
  next: number;
  loading: Map<number, Promise<{ update: UpdateRecord; reply?: FitReply }>>;
  /** Folding stopped at a missed or unreadable arrival; the aggregate step goes on from there. */
  stalled: boolean;
  work: Promise<void>;
}

/**
 * Gives the aggregate step a head start: as each update is recorded, the
 * aggregator reads and verifies its blob while other holders are still
 * training, and a rule that is a sum (FedAvg, FedProx) folds it in at once.
 * Closing the round then costs one division instead of reading the round.
 *
 * Nothing here is trusted at close: the aggregate step checks that what was
 * folded is a prefix of the round's recorded arrival order, restricted to
 * the updates it accepts, and reads whatever is missing itself. A missed
 * announcement or a crash only loses the head start.
 */
export class UpdatePrefetch {
  readonly #blobs: BlobStore;
  readonly #book: Pick<RoundBook, "getPlan">;
  readonly #maxBytes: number;
  readonly #maxRounds: number;
  readonly #rounds = new Map<string, RoundState>();
  #keptBytes = 0;

  constructor(options: UpdatePrefetchOptions) {
    this.#blobs = options.blobs;
    this.#book = options.book;
    this.#maxBytes = options.maxBytes ?? 256 * 1024 * 1024;
    this.#maxRounds = options.maxRounds ?? 16;
  }

  /** Feed from `RoundBook.watchArrivals`. */
  onArrival(arrival: UpdateArrival): void {
    const state = this.#stateOf(arrival.key);
    if (state.taken || arrival.sequence < state.next || state.loading.has(arrival.sequence)) return;
    const loaded = state.ready.then(async (ready) => {
      if (ready === undefined || arrival.update.receivedAt > ready.plan.deadline) {
        return { update: arrival.update };
      }
      const reply = await loadReply(
        this.#blobs,
        arrival.update,
        ready.plan,
        ready.prefetched.global,
      );
      return { update: arrival.update, reply };
    });
    // Failures surface when the aggregate step reads the update itself.
    loaded.catch(() => undefined);
    state.loading.set(arrival.sequence, loaded);
    state.work = state.work.then(() => this.#foldInOrder(state));
  }

  /**
   * Hands over what was done for the round and forgets it; later arrivals
   * for it are ignored. Waits for reads already under way.
   */
  async take(key: RoundKey): Promise<PrefetchedRound | undefined> {
    const state = this.#rounds.get(roundId(key));
    if (state === undefined || state.taken) return undefined;
    state.taken = true;
    await state.work;
    this.#forget(state);
    // A round whose plan could not be read (Redis was away) has no head start: the close
    // reads every update itself, so the failure must not fail the close.
    return (await state.ready.catch(() => undefined))?.prefetched;
  }

  #stateOf(key: RoundKey): RoundState {
    const id = roundId(key);
    const existing = this.#rounds.get(id);
    if (existing !== undefined) return existing;
    const state: RoundState = {
      key,
      taken: false,
      ready: this.#prepare(key),
      next: 1,
      loading: new Map(),
      stalled: false,
      work: Promise.resolve(),
    };
    state.ready.catch(() => undefined);
    this.#rounds.set(id, state);
    for (const old of this.#rounds.values()) {
      if (this.#rounds.size <= this.#maxRounds) break;
      old.taken = true;
      old.stalled = true;
      this.#forget(old);
    }
    return state;
  }

  async #prepare(key: RoundKey) {
    const plan = await this.#book.getPlan(key);
    if (plan === undefined) return undefined;
    const global = await getWeights(this.#blobs, plan.globalModelHash);
    const running = createStrategy(plan.strategy, key.taskId).beginRound?.(key.round, global);
    const prefetched: PrefetchedRound = {
      global,
      ...(running && { running }),
      folded: [],
      replies: new Map(),
    };
    return { plan, prefetched };
  }

  async #foldInOrder(state: RoundState): Promise<void> {
    const ready = await state.ready.catch(() => undefined);
    if (ready === undefined) state.stalled = true;
    // Not stopped by `take`: it waits for the reads that were already under way.
    while (!state.stalled) {
      const loading = state.loading.get(state.next);
      if (loading === undefined) return;
      const outcome = await loading.catch(() => undefined);
      state.loading.delete(state.next);
      if (outcome === undefined || ready === undefined) {
        state.stalled = true;
        return;
      }
      state.next++;
      const { update, reply } = outcome;
      if (reply === undefined) continue; // past the deadline: the aggregate step drops it too
      const { prefetched } = ready;
      if (prefetched.running !== undefined) {
        try {
          prefetched.running.add(reply);
        } catch {
          // An update that does not fit: stop here and let the aggregate step report it.
          state.stalled = true;
          return;
        }
        prefetched.folded.push({ holderId: update.holderId, updateHash: update.updateHash });
      } else if (this.#keptBytes + reply.weights.byteLength <= this.#maxBytes) {
        prefetched.replies.set(update.holderId, { updateHash: update.updateHash, reply });
        this.#keptBytes += reply.weights.byteLength;
      }
    }
  }

  #forget(state: RoundState): void {
    this.#rounds.delete(roundId(state.key));
    state.loading.clear();
    // The rejection was seen where `ready` was made; unhandled here it would end the process.
    void state.ready.then(
      (ready) => {
        for (const { reply } of ready?.prefetched.replies.values() ?? []) {
          this.#keptBytes -= reply.weights.byteLength;
        }
      },
      () => undefined,
    );
  }
}

const roundId = (key: RoundKey): string => `${key.taskId}\u0000${key.round}`;
