import { z } from "zod";
import type { BlobStore } from "../blobs/blob-store.ts";
import { getWeights } from "../blobs/weight-blobs.ts";
import { CoordinateMedian } from "../strategies/coordinate-median.ts";
import { createStrategy } from "../strategies/create-strategy.ts";
import type { FitFailure, FitReply, Strategy } from "../strategies/strategy.ts";
import { weightsHash } from "../weights/flat-weights.ts";
import { l2Norm, squaredDistance } from "../weights/vector-math.ts";
import type { ContributionRecipe } from "./contribution-inputs.ts";
import { loadRoundReplies } from "./round-coalitions.ts";

/**
 * A holder's standing in one round, decided from evidence the round already
 * has (its update, the round's other updates, the robust rule's choice and the
 * holder's contribution score), by this rule (`agora-standing-v1`):
 *
 * free_rider: the update is (almost) the model the holder received: its
 *   relative update norm ‖w_i − g‖ / ‖g‖ is below `freeRiderRelativeNorm`
 *   (1e-4), or its blob is byte for byte an update listed before it in the
 *   round (a copy of another holder's work). Why 1e-4: one honest epoch of
 *   120 MNIST examples at learning rate 0.1 moves the 2NN by 1.7e-2 to
 *   2.7e-2 of its norm (rounds 0 to 5, measured), two hundred times more;
 *   returning the global model, or it plus rounding-sized noise, stays far
 *   below. Free riders who disguise a stale model with larger noise are
 *   caught by their contribution instead (a task total <= 0 is a free
 *   rider's too, decided at settlement over all rounds).
 *
 * attacker, either of:
 *   - the round's robust rule rejected the update as an outlier. Outlier:
 *     its distance to the round's centre (the coordinate-wise median of
 *     all its updates) exceeds median(d) + k · max(1.4826 · MAD(d),
 *     floor · median(d)), with k = 3.5 (Iglewicz and Hoaglin's modified
 *     z-score cut-off) and floor = 0.3, over the round's non-free-rider
 *     updates, and only with at least 3 of them. Krum and Multi-Krum must
 *     also have left the update out; coordinate median and trimmed mean,
 *     which discount outlying coordinates rather than whole updates, flag
 *     the outlier itself. Why these choices: merely "not selected" is not
 *     enough, since plain Krum keeps one update of n and the honest ones it
 *     drops must not lose their pay; the centre is the median of all
 *     updates rather than the rule's aggregate, because an aggregate sits
 *     closer to the updates it includes and would make every excluded
 *     update look far; and the floor means an update must sit more than
 *     about twice as far from the centre as the typical one: distances of
 *     hundred-thousand-dimensional updates concentrate, so MAD alone is tiny
 *     while honest non-IID holders legitimately differ by tens of percent,
 *     and poisoned updates (scaled, sign-flipped, random) sit many times
 *     farther.
 *   - its contribution is clearly negative: its round score is below
 *     −max(harmfulExamples / |validation set|, harmfulShare · Σ positive
 *     scores), i.e. it cost the model at least 5 validation examples (one
 *     example is the resolution of an accuracy-based score) and undid at
 *     least half of what the helpful updates added, while the round's other
 *     updates together improved the model. A round that got worse as a
 *     whole (DP noise, a learning rate too high) flags nobody this way: the
 *     decline is shared, not one holder's doing. Measured: in the
 *     coordinator's end-to-end run (3 honest holders, DP at epsilon 50, 300
 *     validation examples) honest round scores spread from −0.044 to +0.048,
 *     whole rounds going negative together; none of it meets this bar.
 * An attacker flag wins over a free-rider flag. Rules with no robust
 * selection (FedAvg, FedProx, DP-FedAvg) flag attackers by contribution only.
 *
 * The evidence, thresholds and flags are stored in the round's contribution
 * inputs (`standing`), so an auditor recomputes the flags from them
 * (`standingFlags`) and, given the blobs, the evidence itself.
 */
export const standingRule = "agora-standing-v1";

export const standingThresholds = {
  freeRiderRelativeNorm: 1e-4,
  outlierK: 3.5,
  outlierMadFloor: 0.3,
  minUpdatesForOutliers: 3,
  harmfulExamples: 5,
  harmfulShare: 0.5,
} as const;

export type StandingThresholds = { [K in keyof typeof standingThresholds]: number };
export type StandingFlag = "attacker" | "free_rider";

const finite = z.number().refine(Number.isFinite, "a finite number");

/** What one update looked like, measured against the round's start and centre. */
export const updateEvidenceSchema = z.object({
  holderId: z.string().min(1),
  /** ‖w_i − g‖ / ‖g‖ (‖w_i − g‖ when the starting model is all zeros). */
  relativeNorm: finite.nonnegative(),
  /** ‖w_i − c‖, c being the coordinate-wise median of the round's updates. */
  distanceToCentre: finite.nonnegative(),
  /** Whether the rule let the update into the aggregate (Krum keeps only some). */
  usedByRule: z.boolean(),
  /** The holder whose identical update is listed earlier in the round, if any. */
  duplicateOf: z.string().nullable(),
});
export type UpdateEvidence = z.infer<typeof updateEvidenceSchema>;

export const roundStandingSchema = z.object({
  rule: z.literal(standingRule),
  thresholds: z.object({
    freeRiderRelativeNorm: finite.nonnegative(),
    outlierK: finite.positive(),
    outlierMadFloor: finite.nonnegative(),
    minUpdatesForOutliers: z.number().int().positive(),
    harmfulExamples: finite.nonnegative(),
    harmfulShare: finite.nonnegative(),
  }),
  /** The strategy's name (`krum`, `median`, ...), which decides what "rejected" means. */
  strategy: z.string().min(1),
  validationExamples: z.number().int().positive(),
  evidence: z.array(updateEvidenceSchema),
  /** Holders with a flag this round; holders in good standing are absent. */
  flags: z.record(z.string(), z.enum(["attacker", "free_rider"])),
});
export type RoundStanding = z.infer<typeof roundStandingSchema>;

/** Rules that reject or discount updates by position; the others take every update. */
const selectingRules = new Set(["krum", "multi-krum"]);
const robustRules = new Set(["krum", "multi-krum", "median", "trimmed-mean"]);

/** Measures every update of a round against its start and its centre, and notes the rule's choice. */
export function measureUpdates(
  strategy: Strategy,
  round: number,
  global: Float32Array,
  replies: readonly FitReply[],
  failures: readonly FitFailure[] = [],
): UpdateEvidence[] {
  const used = new Set(strategy.aggregate(round, replies, failures, global).used);
  const centre = new CoordinateMedian().aggregate(round, replies, [], global).weights;
  const globalNorm = l2Norm(global);
  const seen = new Map<string, string>();
  return replies.map((reply) => {
    const moved = Math.sqrt(squaredDistance(reply.weights, global));
    const fingerprint = weightsHash(reply.weights);
    const duplicateOf = seen.get(fingerprint) ?? null;
    if (duplicateOf === null) seen.set(fingerprint, reply.holderId);
    return {
      holderId: reply.holderId,
      relativeNorm: globalNorm > 0 ? moved / globalNorm : moved,
      distanceToCentre: Math.sqrt(squaredDistance(reply.weights, centre)),
      usedByRule: used.has(reply.holderId),
      duplicateOf,
    };
  });
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

/**
 * The flags the rule gives a round's holders, from its evidence and scores.
 * Pure: the scorer and the auditor call the same function on the same stored
 * numbers.
 */
export function standingFlags(input: {
  strategy: string;
  evidence: readonly UpdateEvidence[];
  scores: ReadonlyMap<string, number>;
  validationExamples: number;
  thresholds?: StandingThresholds;
}): Record<string, StandingFlag> {
  const t = input.thresholds ?? standingThresholds;
  const flags: Record<string, StandingFlag> = {};
  const freeRiding = (e: UpdateEvidence) =>
    e.relativeNorm < t.freeRiderRelativeNorm || e.duplicateOf !== null;
  for (const e of input.evidence) if (freeRiding(e)) flags[e.holderId] = "free_rider";

  if (robustRules.has(input.strategy)) {
    const measured = input.evidence.filter((e) => !freeRiding(e));
    if (measured.length >= t.minUpdatesForOutliers) {
      const distances = measured.map((e) => e.distanceToCentre);
      const middle = median(distances);
      const mad = median(distances.map((d) => Math.abs(d - middle)));
      const cutoff = middle + t.outlierK * Math.max(1.4826 * mad, t.outlierMadFloor * middle);
      for (const e of measured) {
        const rejected = selectingRules.has(input.strategy) ? !e.usedByRule : true;
        if (rejected && e.distanceToCentre > cutoff) flags[e.holderId] = "attacker";
      }
    }
  }

  let helped = 0;
  let net = 0;
  for (const score of input.scores.values()) {
    helped += Math.max(0, score);
    net += score;
  }
  const harm = Math.max(t.harmfulExamples / input.validationExamples, t.harmfulShare * helped);
  for (const [holderId, score] of input.scores) {
    const othersHelped = net - score > 0;
    if (score < -harm && othersHelped) flags[holderId] = "attacker";
  }
  return flags;
}

/**
 * The standing of every holder of a scored round: loads the round's updates
 * as the aggregator combined them, measures them, and applies the rule.
 */
export async function assessRoundStanding(
  recipe: ContributionRecipe,
  scores: ReadonlyMap<string, number>,
  blobs: BlobStore,
  validationExamples: number,
): Promise<RoundStanding> {
  const global = await getWeights(blobs, recipe.startingModelHash);
  const replies = await loadRoundReplies(blobs, recipe.model, global, recipe.updates);
  const strategy = createStrategy(recipe.strategy, recipe.strategySeed);
  const evidence = measureUpdates(strategy, recipe.round, global, replies, recipe.failures);
  const name = String(recipe.strategy.name);
  return {
    rule: standingRule,
    thresholds: { ...standingThresholds },
    strategy: name,
    validationExamples,
    evidence,
    flags: standingFlags({ strategy: name, evidence, scores, validationExamples }),
  };
}
