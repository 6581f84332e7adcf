import type { TaskSpec } from "../task-spec.ts";
import { type BidAttributes, scoreBid } from "./bid-utility.ts";
import { type CoverageStatus, enforceCoverage } from "./coverage-enforcement.ts";
import { dominantLabel, groupBudgets, utilityQuotas } from "./coverage-groups.ts";
import { clearProportionalShare, type ScoredBid } from "./proportional-share.ts";
import { labelDistribution, normalise, totalVariation } from "./selection-bias.ts";

/**
 * The budget-feasible, multi-attribute reverse auction that selects a task's
 * holders. Each bid is scored by expected utility (`scoreBid`), assigned to
 * the group of its dominant label, and each label group clears its share of
 * the budget with the proportional-share mechanism and threshold payments
 * (`clearProportionalShare`, where the properties are proved). Reserve prices
 * (`reservePrice`) depend only on utilities, so they preserve truthfulness.
 *
 * Guarantees: total payment ≤ budget; every winner is paid at least its bid;
 * for each bidder, bidding its true cost is a dominant strategy given the
 * other bids and its own non-price attributes. Caveats: truthfulness is about
 * the price only (samples, coverage and throughput are reported and need
 * attestation elsewhere); when the groups alone miss the coverage bound
 * (typically on small instances), `enforceCoverage` repairs the selection at
 * the cost of truthfulness and says so in `coverage`; and a holder that
 * submits several bids is outside the single-parameter setting, so the market
 * keeps one bid per holder per task.
 */

export interface AuctionBid extends BidAttributes {
  id: string;
  holderId: string;
  price: bigint;
}

export interface AuctionWinner {
  bidId: string;
  holderId: string;
  price: bigint;
  payment: bigint;
  utility: number;
  group: string;
}

export interface AuctionGroup {
  label: string;
  budget: bigint;
  spent: bigint;
  /** Most utility the group may select (its coverage quota). */
  utilityQuota: number;
  bids: number;
  winners: number;
}

export interface AuctionOutcome {
  winners: AuctionWinner[];
  /** Bids that could not take part, with the reasons. */
  ineligible: { bidId: string; reasons: string[] }[];
  groups: AuctionGroup[];
  totalPayment: bigint;
  budget: bigint;
  population: Record<string, number>;
  selected: Record<string, number>;
  /** Total-variation distance between the selected set's labels and the population's (1 if none). */
  labelTv: number;
  /** True when the selection is within the task's bound, which every non-empty selection is. */
  coverageMet: boolean;
  /** How the bound was met, or why nobody is selected: see `coverage-enforcement.ts`. */
  coverage: CoverageStatus;
  /** True when at least `minHolders` were selected. */
  enoughHolders: boolean;
}

export interface AuctionInput {
  bids: readonly AuctionBid[];
  budget: bigint;
  spec: TaskSpec;
  now: Date;
}

/**
 * Reserve price of a bid with utility u: its utility-proportional share of
 * the budget, B · u / U_all, times the task's reserve multiplier. It depends
 * on utilities only, never on prices. The orchestrator counters bids above it.
 */
export function reservePrice(
  budget: bigint,
  utility: number,
  totalUtility: number,
  multiplierBps: number,
): bigint {
  if (totalUtility <= 0 || utility <= 0) return 0n;
  return (budget * BigInt(utility) * BigInt(multiplierBps)) / (BigInt(totalUtility) * 10_000n);
}

/** Scores bids and returns the eligible ones with their utilities and reserves. */
export function scoreBids(bids: readonly AuctionBid[], spec: TaskSpec, budget: bigint, now: Date) {
  const scored: { bid: AuctionBid; utility: number; reserve: bigint; group: string }[] = [];
  const ineligible: { bidId: string; reasons: string[] }[] = [];
  for (const bid of bids) {
    const score = scoreBid(bid, spec, now);
    const group = dominantLabel(bid.labelCoverage, spec.data.labels);
    if (score.utility === 0 || group === undefined) {
      ineligible.push({
        bidId: bid.id,
        reasons:
          score.ineligible.length > 0 ? score.ineligible : ["covers none of the task's labels"],
      });
      continue;
    }
    scored.push({ bid, utility: score.utility, reserve: 0n, group });
  }
  const totalUtility = scored.reduce((sum, entry) => sum + entry.utility, 0);
  for (const entry of scored) {
    entry.reserve = reservePrice(
      budget,
      entry.utility,
      totalUtility,
      spec.selection.reserveMultiplierBps,
    );
  }
  return { scored, ineligible, totalUtility };
}

export function clearAuction(input: AuctionInput): AuctionOutcome {
  const { spec, budget } = input;
  const labels = spec.data.labels;
  const { scored, ineligible } = scoreBids(input.bids, spec, budget, input.now);
  const population =
    spec.coverage.population === undefined
      ? labelDistribution(
          scored.map((entry) => entry.bid),
          labels,
        )
      : normalise(spec.coverage.population, labels);

  const byGroup = new Map<string, typeof scored>();
  for (const entry of scored) {
    const members = byGroup.get(entry.group);
    if (members === undefined) byGroup.set(entry.group, [entry]);
    else members.push(entry);
  }
  const groupLabels = labels.filter((label) => byGroup.has(label));
  const budgets = groupBudgets(budget, population, groupLabels);
  const quotas = utilityQuotas(
    new Map(
      groupLabels.map((label) => [
        label,
        (byGroup.get(label) ?? []).reduce((sum, entry) => sum + entry.utility, 0),
      ]),
    ),
    population,
    spec.coverage.maxLabelTv,
  );

  const winners: AuctionWinner[] = [];
  const groups: AuctionGroup[] = [];
  for (const label of groupLabels) {
    const members = byGroup.get(label) ?? [];
    const groupBudget = budgets.get(label) ?? 0n;
    const mechanismBids: ScoredBid[] = members.map((entry) => ({
      id: entry.bid.id,
      price: entry.bid.price,
      utility: entry.utility,
      reserve: entry.reserve,
    }));
    let spent = 0n;
    const groupWinners = clearProportionalShare(
      mechanismBids,
      groupBudget,
      quotas.get(label) ?? Number.POSITIVE_INFINITY,
    );
    for (const { index, payment } of groupWinners) {
      const entry = members[index];
      if (entry === undefined) continue;
      spent += payment;
      winners.push({
        bidId: entry.bid.id,
        holderId: entry.bid.holderId,
        price: entry.bid.price,
        payment,
        utility: entry.utility,
        group: label,
      });
    }
    groups.push({
      label,
      budget: groupBudget,
      spent,
      utilityQuota: quotas.get(label) ?? Number.POSITIVE_INFINITY,
      bids: members.length,
      winners: groupWinners.length,
    });
  }

  const selectedOf = (chosen: readonly AuctionWinner[]) => {
    const ids = new Set(chosen.map((winner) => winner.bidId));
    return labelDistribution(
      scored.filter((entry) => ids.has(entry.bid.id)).map((entry) => entry.bid),
      labels,
    );
  };
  const tvOf = (chosen: readonly AuctionWinner[], distribution: Record<string, number>) =>
    chosen.length === 0 ? 1 : totalVariation(distribution, population, labels);
  let finalWinners = winners;
  let selected = selectedOf(winners);
  let labelTv = tvOf(winners, selected);
  let coverage: CoverageStatus = "met";
  // The repair runs only when the auction's own selection misses the bound.
  if (winners.length === 0 || labelTv > spec.coverage.maxLabelTv + 1e-12) {
    const decision = enforceCoverage({
      candidates: scored.map((entry) => ({
        id: entry.bid.id,
        price: entry.bid.price,
        utility: entry.utility,
        samples: entry.bid.samples,
        labelCoverage: entry.bid.labelCoverage,
        reserve: entry.reserve,
      })),
      selected: new Map(winners.map((winner) => [winner.bidId, winner.payment])),
      budget,
      population,
      labels,
      maxLabelTv: spec.coverage.maxLabelTv,
    });
    coverage = decision.status;
    if (decision.status !== "met") {
      finalWinners = settleWinners(scored, decision.selected);
      selected = selectedOf(finalWinners);
      labelTv = tvOf(finalWinners, selected);
      for (const group of groups) {
        const members = finalWinners.filter((winner) => winner.group === group.label);
        group.winners = members.length;
        group.spent = members.reduce((sum, winner) => sum + winner.payment, 0n);
      }
    }
  }
  return {
    winners: finalWinners,
    ineligible,
    groups,
    totalPayment: finalWinners.reduce((sum, winner) => sum + winner.payment, 0n),
    budget,
    population,
    selected,
    labelTv,
    coverageMet: finalWinners.length > 0 && labelTv <= spec.coverage.maxLabelTv + 1e-12,
    coverage,
    enoughHolders: finalWinners.length >= spec.minHolders,
  };
}

/** Winners as the coverage decision left them, in bid order, with the payments it set. */
function settleWinners(
  scored: ReturnType<typeof scoreBids>["scored"],
  payments: ReadonlyMap<string, bigint>,
): AuctionWinner[] {
  return scored
    .filter((entry) => payments.has(entry.bid.id))
    .map((entry) => ({
      bidId: entry.bid.id,
      holderId: entry.bid.holderId,
      price: entry.bid.price,
      payment: payments.get(entry.bid.id) as bigint,
      utility: entry.utility,
      group: entry.group,
    }));
}
