import type { TaskSpec } from "../task-spec.ts";

/** A bid's attributes other than the price: what utility is computed from. */
export interface BidAttributes {
  samples: number;
  labelCoverage: Readonly<Record<string, number>>;
  /** Training speed at the bid's model tier, samples per second. */
  throughput: number;
  modelTier: number;
  epsilonCost: number;
  availableFrom: Date;
  availableUntil: Date;
}

export interface BidScore {
  /** Integer utility points; 0 when the bid is ineligible. */
  utility: number;
  statistical: number;
  system: number;
  /** Why the bid is ineligible; empty when it is eligible. */
  ineligible: string[];
}

/** Oort's straggler penalty exponent: utility falls with (deadline / duration)^α past the deadline. */
const stragglerPenalty = 2;
/** Keeps the sum of 100k utilities an exact double (< 2^53). */
const maxUtility = 2 ** 31;

/**
 * Expected utility of a bid, in the spirit of Oort: statistical utility is
 * the number of in-scope samples (samples × the share of its labels the task
 * asks for); system utility is 1 if one round's local training fits the round
 * deadline and (deadline / expected duration)^2 otherwise. The price plays no
 * part, which the mechanism's truthfulness relies on.
 */
export function scoreBid(bid: BidAttributes, spec: TaskSpec, now: Date): BidScore {
  const ineligible: string[] = [];
  const inScopeShare = spec.data.labels.reduce(
    (sum, label) => sum + Math.max(bid.labelCoverage[label] ?? 0, 0),
    0,
  );
  const statistical = bid.samples * Math.min(inScopeShare, 1);
  if (statistical < spec.data.minSamples) {
    ineligible.push(
      `brings ${Math.floor(statistical)} in-scope samples, fewer than ${spec.data.minSamples}`,
    );
  }
  if (bid.modelTier < spec.model.minTier || bid.modelTier > spec.model.maxTier) {
    ineligible.push(
      `model tier ${bid.modelTier} is outside ${spec.model.minTier}..${spec.model.maxTier}`,
    );
  }
  if (bid.epsilonCost > spec.privacy.epsilon) {
    ineligible.push(`ε cost ${bid.epsilonCost} exceeds the task's bound ${spec.privacy.epsilon}`);
  }
  const neededMs = spec.rounds * spec.roundDeadlineS * 1000;
  const start = Math.max(now.getTime(), bid.availableFrom.getTime());
  if (bid.availableUntil.getTime() - start < neededMs) {
    ineligible.push("availability window is shorter than the task's rounds");
  }
  if (!(bid.throughput > 0)) ineligible.push("reports no training throughput");
  const expectedSeconds = (statistical * spec.localEpochs) / Math.max(bid.throughput, 1e-9);
  const system =
    expectedSeconds <= spec.roundDeadlineS
      ? 1
      : (spec.roundDeadlineS / expectedSeconds) ** stragglerPenalty;
  if (ineligible.length > 0) return { utility: 0, statistical, system, ineligible };
  const utility = Math.min(maxUtility, Math.max(1, Math.round(statistical * system)));
  return { utility, statistical, system, ineligible };
}
