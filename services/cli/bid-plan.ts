import { coverageOf } from "../market/holder-profile.ts";
import type { HolderView, TaskView } from "./api-views.ts";
import { UsageError } from "./exit-codes.ts";
import type { BidTerms } from "./typed-signing.ts";

/** Bid terms given on the command line; whatever is left out is derived from the profile. */
export interface BidOverrides {
  price: string;
  samples?: number;
  tier?: number;
  epsilon?: number;
  throughput?: number;
  coverage?: Record<string, number>;
  from?: string;
  until?: string;
}

/**
 * Fills in a bid the way the holder's guardian would plan it: in-scope
 * samples and label coverage from the registered data summary, the largest
 * accepted model tier this hardware trains within the round deadline, the
 * task's ε bound, and the registered availability from now on. The price is
 * always the holder's own choice.
 */
export function planBidTerms(
  holder: HolderView,
  task: TaskView,
  overrides: BidOverrides,
  now = new Date(),
): BidTerms {
  const coverage = overrides.coverage ?? coverageOf(holder.dataSummary.labels);
  const inScopeShare = task.spec.data.labels.reduce(
    (sum, label) => sum + (coverage[label] ?? 0),
    0,
  );
  const samples =
    overrides.samples ?? Math.floor(holder.dataSummary.samples * Math.min(inScopeShare, 1));
  const tier = overrides.tier ?? fittingTier(holder, task, samples);
  if (tier === undefined) {
    throw new UsageError(
      `no model tier from ${task.spec.model.minTier} to ${task.spec.model.maxTier} trains ${samples} samples ` +
        `within the ${task.spec.roundDeadlineS} s round deadline on this hardware; pass --tier and --throughput`,
    );
  }
  const throughput = overrides.throughput ?? holder.hardware.samplesPerSecond[String(tier)];
  if (throughput === undefined)
    throw new UsageError(
      `the registered hardware lists no throughput for tier ${tier}; pass --throughput`,
    );
  const registeredFrom = Date.parse(holder.hardware.availability.from);
  return {
    price: overrides.price,
    samples,
    modelTier: tier,
    epsilon: overrides.epsilon ?? task.spec.privacy.epsilon,
    throughput,
    labelCoverage: coverage,
    availableFrom:
      overrides.from ?? new Date(Math.max(now.getTime(), registeredFrom)).toISOString(),
    availableUntil: overrides.until ?? holder.hardware.availability.until,
  };
}

function fittingTier(holder: HolderView, task: TaskView, samples: number): number | undefined {
  const { minTier, maxTier } = task.spec.model;
  for (let tier = Math.min(maxTier, 255); tier >= minTier; tier--) {
    const throughput = holder.hardware.samplesPerSecond[String(tier)];
    if (throughput === undefined) continue;
    if ((samples * task.spec.localEpochs) / throughput <= task.spec.roundDeadlineS) return tier;
  }
  return undefined;
}
