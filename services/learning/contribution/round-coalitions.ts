import { isAgoraError } from "../../errors/agora-error.ts";
import type { BlobStore } from "../blobs/blob-store.ts";
import { getWeights } from "../blobs/weight-blobs.ts";
import type { ModelKind } from "../models/architecture.ts";
import { embedTier } from "../models/tier-mapping.ts";
import type { FitFailure, FitReply, Strategy } from "../strategies/strategy.ts";
import type { CoalitionUtility } from "./coalition-utility.ts";
import type { ValidationScorer } from "./validation-scorer.ts";

/** One on-time update of a round, as the round book and the database name it. */
export interface RoundUpdate {
  holderId: string;
  /** Content hash of the update blob (the trained weights of the holder's tier). */
  updateHash: string;
  samples: number;
  /** Model tier it was trained at (0 = full model). */
  tier: number;
}

/**
 * The round's updates as the aggregator saw them: fetched by hash and, for
 * sub-model tiers, embedded into the starting model with their coverage, the
 * same way `closeRound` builds its replies, so the coalition of everyone
 * reproduces the round's aggregate bit for bit.
 */
export async function loadRoundReplies(
  blobs: BlobStore,
  model: ModelKind,
  global: Float32Array,
  updates: readonly RoundUpdate[],
): Promise<FitReply[]> {
  return Promise.all(
    updates.map(async (update) => {
      const sub = await getWeights(blobs, update.updateHash);
      if (update.tier === 0) {
        return { holderId: update.holderId, weights: sub, samples: update.samples };
      }
      const { weights, coverage } = embedTier(sub, global, model, update.tier);
      return { holderId: update.holderId, weights, samples: update.samples, coverage };
    }),
  );
}

/** What a coalition's model is built from: the round's strategy, its start and its replies. */
export interface RoundCoalitionSource {
  round: number;
  strategy: Strategy;
  /** The global model the round started from: the empty coalition's model. */
  global: Float32Array;
  /** Participant i is `replies[i]`, in the order the aggregator combined them. */
  replies: readonly FitReply[];
  failures?: readonly FitFailure[];
}

/**
 * The model coalition `members` would have produced: the strategy's
 * aggregate of only their updates (the round's failures still passed, as the
 * aggregator passed them). The empty coalition keeps the starting model.
 * `undefined` when the strategy refuses so few updates (Krum needs 2f + 3):
 * such a round would have failed and left the global model as it was.
 */
export function coalitionModel(
  source: RoundCoalitionSource,
  members: readonly number[],
): Float32Array | undefined {
  if (members.length === 0) return source.global;
  const replies = members.map((i) => source.replies[i] as FitReply);
  try {
    return source.strategy.aggregate(source.round, replies, source.failures ?? [], source.global)
      .weights;
  } catch (error) {
    if (isAgoraError(error) && error.kind === "conflict") return undefined;
    throw error;
  }
}

/** Coalitions as stored with the scores: member indices joined by commas, `""` for nobody. */
export const coalitionKey = (members: readonly number[]): string =>
  [...members].sort((a, b) => a - b).join(",");

/** A round's coalition utility and the values it has produced so far, by coalition key. */
export interface RoundCoalitionUtility {
  utility: CoalitionUtility;
  observed: Map<string, number>;
}

/**
 * The coalition utility of a real round: validation accuracy of the
 * coalition's reconstructed model (GTG-Shapley's "reconstruction" rather
 * than retraining). A coalition the strategy cannot aggregate is worth the
 * starting model's accuracy. Between evaluations it yields to the event
 * loop, so a long scoring job keeps renewing its queue lock.
 */
export function roundCoalitionUtility(
  source: RoundCoalitionSource,
  scorer: ValidationScorer,
): RoundCoalitionUtility {
  const observed = new Map<string, number>();
  const utility: CoalitionUtility = async (members) => {
    await new Promise<void>((resolve) => setImmediate(resolve));
    const weights = coalitionModel(source, members) ?? source.global;
    const value = scorer.accuracy(weights);
    observed.set(coalitionKey(members), value);
    return value;
  };
  return { utility, observed };
}
