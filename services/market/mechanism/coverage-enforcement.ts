import { labelDistribution, totalVariation } from "./selection-bias.ts";

/**
 * Makes the selected set honour the task's coverage bound (total-variation
 * distance between the selected and the population label distributions)
 * when the truthful per-label auction alone does not.
 *
 * The per-label budgets and quotas of `coverage-groups.ts` usually land
 * within the bound on realistic instances, but not on small ones: with a
 * handful of bids, one label's only bid may ask more than that label's
 * budget share, and the selection then misses the label entirely. So, when
 * the auction's selection is outside the bound:
 *
 * 1. Small instances (at most `exactSearchLimit` eligible bids) are solved
 *    exactly: among all sets whose asks fit the budget and whose distance is
 *    within the bound, the one with the most utility (then the lowest cost,
 *    then the smallest bid ids). If there is none, none exists, and the
 *    outcome says so (`infeasible`) and selects nobody.
 * 2. Larger instances are trimmed: winners are dropped, each time the one
 *    whose removal brings the distance down the most (necessarily one that
 *    brings over-represented labels), until it is within the bound. Payments of the kept winners stay
 *    as the auction set them, so the budget and individual rationality hold.
 *    If trimming cannot reach the bound the outcome says so (`unmet`) and
 *    selects nobody: a selection outside the bound is never returned.
 *
 * The price of enforcement: sets chosen in step 1 are paid their asks
 * (pay-as-bid), which is budget feasible and individually rational but not
 * truthful; and whether step 2 drops a winner depends on which other bids
 * won, hence on prices. The outcome names the method, so the owner and
 * auditors can see when the truthful auction's own selection was kept.
 */

export type CoverageStatus =
  /** The auction's own selection is within the bound. */
  | "met"
  /** The exact search found the best set within budget and bound; winners are paid their asks. */
  | "enforced-exact"
  /** Winners of over-represented labels were dropped until the set was within the bound. */
  | "enforced-trimmed"
  /** Proven: no set of eligible bids fits the budget within the bound. Nobody is selected. */
  | "infeasible"
  /** Too many bids for the exact search and trimming could not reach the bound. Nobody is selected. */
  | "unmet";

/** Bids with at most this many eligible bids are solved exactly (2^n subsets). */
export const exactSearchLimit = 16;

export interface CoverageCandidate {
  id: string;
  price: bigint;
  utility: number;
  samples: number;
  labelCoverage: Readonly<Record<string, number>>;
  /** Highest price the buyer accepts for this bid; a set never includes a bid above it. */
  reserve: bigint;
}

export interface CoverageProblem {
  candidates: readonly CoverageCandidate[];
  /** Ids of the auction's winners with their payments. */
  selected: ReadonlyMap<string, bigint>;
  budget: bigint;
  population: Readonly<Record<string, number>>;
  labels: readonly string[];
  maxLabelTv: number;
}

export interface CoverageDecision {
  status: CoverageStatus;
  /** The final winners and what each is paid. */
  selected: Map<string, bigint>;
  labelTv: number;
}

/** Distance of a set from the population; an empty set is as far as can be. */
function distance(
  members: readonly CoverageCandidate[],
  population: Readonly<Record<string, number>>,
  labels: readonly string[],
): number {
  return members.length === 0
    ? 1
    : totalVariation(labelDistribution(members, labels), population, labels);
}

/** Tolerance for float rounding when comparing a distance with the bound. */
const epsilon = 1e-12;

export function enforceCoverage(problem: CoverageProblem): CoverageDecision {
  const { candidates, population, labels, maxLabelTv } = problem;
  const winners = candidates.filter((candidate) => problem.selected.has(candidate.id));
  const labelTv = distance(winners, population, labels);
  if (winners.length > 0 && labelTv <= maxLabelTv + epsilon) {
    return { status: "met", selected: new Map(problem.selected), labelTv };
  }
  const affordable = candidates.filter((candidate) => candidate.price <= candidate.reserve);
  if (affordable.length <= exactSearchLimit) return exactSearch(problem, affordable);
  return trim(problem, winners, labelTv);
}

/** Every subset of up to `exactSearchLimit` bids, with per-label sample mass kept incrementally. */
function exactSearch(
  problem: CoverageProblem,
  pool: readonly CoverageCandidate[],
): CoverageDecision {
  const { labels, population, maxLabelTv, budget } = problem;
  const n = pool.length;
  // mass[i][l]: samples bid i brings for label l (ignoring labels outside the task).
  const mass = pool.map((candidate) =>
    labels.map((label) => candidate.samples * Math.max(candidate.labelCoverage[label] ?? 0, 0)),
  );
  const target = labels.map((label) => population[label] ?? 0);
  let best: { mask: number; utility: number; cost: bigint; key: string } | undefined;
  const totals = new Float64Array(labels.length);
  for (let mask = 1; mask < 1 << n; mask++) {
    let cost = 0n;
    let utility = 0;
    totals.fill(0);
    for (let i = 0; i < n; i++) {
      if ((mask & (1 << i)) === 0) continue;
      const candidate = pool[i] as CoverageCandidate;
      cost += candidate.price;
      utility += candidate.utility;
      const row = mass[i] as number[];
      for (let l = 0; l < row.length; l++) totals[l] = (totals[l] as number) + (row[l] as number);
    }
    if (cost > budget) continue;
    if (best !== undefined && utility < best.utility) continue;
    let sum = 0;
    for (let l = 0; l < labels.length; l++) sum += totals[l] as number;
    if (sum === 0) continue;
    let tv = 0;
    for (let l = 0; l < labels.length; l++)
      tv += Math.abs((totals[l] as number) / sum - (target[l] as number));
    if (tv / 2 > maxLabelTv + epsilon) continue;
    const key = pool
      .filter((_, i) => (mask & (1 << i)) !== 0)
      .map((candidate) => candidate.id)
      .sort()
      .join("\n");
    const better =
      best === undefined ||
      utility > best.utility ||
      cost < best.cost ||
      (cost === best.cost && key < best.key);
    if (better) best = { mask, utility, cost, key };
  }
  if (best === undefined) return { status: "infeasible", selected: new Map(), labelTv: 1 };
  const chosen = pool.filter((_, i) => ((best as { mask: number }).mask & (1 << i)) !== 0);
  return {
    status: "enforced-exact",
    selected: new Map(chosen.map((candidate) => [candidate.id, candidate.price])),
    labelTv: distance(chosen, population, labels),
  };
}

/** Drops winners of over-represented labels, best improvement first, until within the bound. */
function trim(
  problem: CoverageProblem,
  winners: readonly CoverageCandidate[],
  startTv: number,
): CoverageDecision {
  const { labels, population, maxLabelTv } = problem;
  const target = labels.map((label) => population[label] ?? 0);
  const massOf = (candidate: CoverageCandidate) =>
    labels.map((label) => candidate.samples * Math.max(candidate.labelCoverage[label] ?? 0, 0));
  const kept = winners.map((candidate) => ({ candidate, mass: massOf(candidate) }));
  const totals = labels.map((_, l) => kept.reduce((sum, entry) => sum + (entry.mass[l] ?? 0), 0));
  // Distance of the kept set without `removed` (pass undefined for the set itself).
  const tvWithout = (removed: number[] | undefined) => {
    let sum = 0;
    for (let l = 0; l < labels.length; l++) sum += (totals[l] ?? 0) - (removed?.[l] ?? 0);
    if (sum <= 0) return 1;
    let tv = 0;
    for (let l = 0; l < labels.length; l++)
      tv += Math.abs(((totals[l] ?? 0) - (removed?.[l] ?? 0)) / sum - (target[l] ?? 0));
    return tv / 2;
  };
  let labelTv = startTv;
  while (kept.length > 1 && labelTv > maxLabelTv + epsilon) {
    let bestIndex = -1;
    let bestTv = labelTv;
    kept.forEach((entry, index) => {
      const tv = tvWithout(entry.mass);
      if (tv < bestTv - epsilon) {
        bestTv = tv;
        bestIndex = index;
      }
    });
    if (bestIndex < 0) break;
    const [dropped] = kept.splice(bestIndex, 1);
    for (let l = 0; l < labels.length; l++) totals[l] = (totals[l] ?? 0) - (dropped?.mass[l] ?? 0);
    labelTv = tvWithout(undefined);
  }
  if (labelTv > maxLabelTv + epsilon) return { status: "unmet", selected: new Map(), labelTv: 1 };
  return {
    status: "enforced-trimmed",
    selected: new Map(
      kept.map(({ candidate }) => [candidate.id, problem.selected.get(candidate.id) as bigint]),
    ),
    labelTv: distance(
      kept.map((entry) => entry.candidate),
      population,
      labels,
    ),
  };
}
