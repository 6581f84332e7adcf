import {
  coverageOf,
  type DataSummary,
  type HardwareProfile,
} from "../../services/market/holder-profile.ts";
import type { TaskSpec } from "../../services/market/task-spec.ts";

/** Everything a guardian knows about the holder it protects. */
export interface GuardianProfile {
  holderId: string;
  priceFloor: bigint;
  /** Total ε the holder is willing to spend across all tasks, at δ = privacyDelta. */
  privacyEpsilon: number;
  privacyDelta: number;
  data: DataSummary;
  hardware: HardwareProfile;
}

export interface TaskView {
  id: string;
  spec: TaskSpec;
  budget: bigint;
}

export interface BidPlan {
  action: "bid";
  price: bigint;
  modelTier: number;
  epsilonCost: number;
  samples: number;
  throughput: number;
  labelCoverage: Record<string, number>;
  availableFrom: Date;
  availableUntil: Date;
}

export type BidDecision = BidPlan | { action: "decline"; reasons: string[] };

export type OfferResponse =
  | { action: "accept" }
  | { action: "reject"; reason: string }
  | { action: "counter"; price: bigint };

const inScopeSamples = (spec: TaskSpec, data: DataSummary): number => {
  const coverage = coverageOf(data.labels);
  const share = spec.data.labels.reduce((sum, label) => sum + (coverage[label] ?? 0), 0);
  return Math.floor(data.samples * Math.min(share, 1));
};

/**
 * The largest model-size tier the task accepts that this hardware trains
 * within the round deadline, or undefined if none fits ("declines").
 */
export function pickTier(
  spec: TaskSpec,
  profile: GuardianProfile,
): { tier: number; throughput: number } | undefined {
  const samples = inScopeSamples(spec, profile.data);
  for (let tier = Math.min(spec.model.maxTier, 255); tier >= spec.model.minTier; tier--) {
    const throughput = profile.hardware.samplesPerSecond[String(tier)];
    if (throughput === undefined) continue;
    if ((samples * spec.localEpochs) / throughput <= spec.roundDeadlineS)
      return { tier, throughput };
  }
  return undefined;
}

/** Whether the holder is available for the whole task, starting now. */
export function availableFor(spec: TaskSpec, profile: GuardianProfile, now: Date): boolean {
  const from = Math.max(now.getTime(), Date.parse(profile.hardware.availability.from));
  return (
    Date.parse(profile.hardware.availability.until) - from >=
    spec.rounds * spec.roundDeadlineS * 1000
  );
}

/**
 * Whether to bid, and what. The price is the holder's floor, its true cost:
 * the auction pays thresholds, so asking more cannot earn more and only risks
 * losing. The ε cost is the task's bound; the guardian declines when that
 * would take its ledger past the holder's total budget.
 */
export function planBid(
  task: TaskView,
  profile: GuardianProfile,
  epsilonAfter: number,
  now: Date,
): BidDecision {
  const reasons: string[] = [];
  const samples = inScopeSamples(task.spec, profile.data);
  if (samples < task.spec.data.minSamples) {
    reasons.push(`has ${samples} in-scope samples, the task needs ${task.spec.data.minSamples}`);
  }
  if (epsilonAfter > profile.privacyEpsilon) {
    reasons.push(
      `ε would reach ${epsilonAfter.toFixed(3)}, above the budget ${profile.privacyEpsilon}`,
    );
  }
  const tier = pickTier(task.spec, profile);
  if (tier === undefined) reasons.push("no accepted model tier trains within the round deadline");
  if (!availableFor(task.spec, profile, now)) reasons.push("not available for the whole task");
  if (reasons.length > 0 || tier === undefined) return { action: "decline", reasons };
  return {
    action: "bid",
    price: profile.priceFloor,
    modelTier: tier.tier,
    epsilonCost: task.spec.privacy.epsilon,
    samples,
    throughput: tier.throughput,
    labelCoverage: coverageOf(profile.data.labels),
    availableFrom: new Date(
      Math.max(now.getTime(), Date.parse(profile.hardware.availability.from)),
    ),
    availableUntil: new Date(profile.hardware.availability.until),
  };
}

export interface OfferState {
  offer: bigint;
  bidPrice: bigint;
  priceFloor: bigint;
  /** 0-based guardian move number, and how many it may make. */
  move: number;
  maxMoves: number;
  /** Failed checks on privacy, hardware or availability; any failure means reject. */
  blockers: string[];
}

/**
 * Accept an offer at or above the floor; otherwise counter with an ask that
 * concedes linearly from the bid price to the floor, and reject on the last
 * move. Privacy, hardware or availability blockers reject outright.
 */
export function respondToOffer(state: OfferState): OfferResponse {
  if (state.blockers.length > 0) return { action: "reject", reason: state.blockers.join("; ") };
  if (state.offer >= state.priceFloor) return { action: "accept" };
  if (state.move + 1 >= state.maxMoves)
    return { action: "reject", reason: "offer stays below the price floor" };
  const span = state.bidPrice > state.priceFloor ? state.bidPrice - state.priceFloor : 0n;
  const ask =
    state.priceFloor + (span * BigInt(state.maxMoves - state.move - 1)) / BigInt(state.maxMoves);
  return { action: "counter", price: ask };
}
