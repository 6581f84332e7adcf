/**
 * Coverage by per-label budgets. Every bid belongs to the group of its
 * dominant label (the task label with the largest share of its samples), and
 * the budget is split across groups in proportion to the population's label
 * distribution. Each group then runs its own proportional-share auction.
 *
 * Why this keeps truthfulness: a bid's group and its group's budget depend on
 * reported data attributes, never on any price, so within its group each
 * bidder still faces a monotone allocation with threshold payments.
 *
 * Why it helps coverage: each label group can spend only its population share
 * of the budget, so one cheap, over-represented label cannot absorb the whole
 * budget; and each group may select at most its population share of a target
 * utility (`utilityQuotas`), so a cheap label cannot buy more than its share
 * of samples either. Quotas too depend on utilities only. On their own the
 * groups keep the selection near the population, not provably within the
 * task's bound (small instances miss it most); `coverage-enforcement.ts`
 * repairs the selection when they miss, at the price of truthfulness,
 * because forcing the bound after seeing prices makes the allocation depend
 * on prices across groups.
 */

/** The task label with the largest share in `coverage` (first in `labels` on ties); undefined if none. */
export function dominantLabel(
  coverage: Readonly<Record<string, number>>,
  labels: readonly string[],
): string | undefined {
  let best: string | undefined;
  let bestShare = 0;
  for (const label of labels) {
    const share = coverage[label] ?? 0;
    if (share > bestShare) {
      best = label;
      bestShare = share;
    }
  }
  return best;
}

const weightScale = 1_000_000_000;

/**
 * Splits `budget` over the groups that have bids, in proportion to the
 * population share of each group's label (renormalised over those groups, so
 * budget is not stranded on labels nobody offers). Rounded down: the group
 * budgets never sum to more than `budget`.
 */
export function groupBudgets(
  budget: bigint,
  population: Readonly<Record<string, number>>,
  groups: readonly string[],
): Map<string, bigint> {
  const weights = groups.map((group) =>
    BigInt(Math.max(0, Math.round((population[group] ?? 0) * weightScale))),
  );
  let total = weights.reduce((sum, weight) => sum + weight, 0n);
  // No population mass on any offered label: share equally rather than spend nothing.
  if (total === 0n) {
    weights.fill(1n);
    total = BigInt(groups.length);
  }
  const budgets = new Map<string, bigint>();
  groups.forEach((group, i) => {
    budgets.set(group, (budget * (weights[i] as bigint)) / total);
  });
  return budgets;
}

/**
 * Utility quota per group: the group's population share of a target utility,
 * widened by `slack`. The target is the largest total every offered group can
 * supply its share of, min_g(available_g / π_g), so quotas follow the
 * population rather than whichever label is cheapest. The price of this is
 * volume: a scarce label shrinks every group's quota. `slack` (derived from
 * the task's TV bound) lets groups overshoot their share a little.
 */
export function utilityQuotas(
  available: ReadonlyMap<string, number>,
  population: Readonly<Record<string, number>>,
  slack: number,
): Map<string, number> {
  let target = Number.POSITIVE_INFINITY;
  for (const [group, utility] of available) {
    const share = population[group] ?? 0;
    if (share > 0) target = Math.min(target, utility / share);
  }
  const quotas = new Map<string, number>();
  for (const group of available.keys()) {
    const share = population[group] ?? 0;
    // A group the population does not weigh (or no target at all) is left uncapped.
    quotas.set(
      group,
      share > 0 && Number.isFinite(target)
        ? Math.floor(share * target * (1 + slack))
        : Number.POSITIVE_INFINITY,
    );
  }
  return quotas;
}
