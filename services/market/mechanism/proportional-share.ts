/**
 * Singer's proportional-share budget-feasible mechanism, generalised to
 * weighted (integer) utilities, with critical-value ("threshold") payments.
 *
 * Allocation. Sort the bids by cost per unit of utility, r_i = c_i / u_i,
 * ascending (ties by id). With U_k the utility of the first k bids, take the
 * longest prefix in which every member satisfies r_k · U_k ≤ B, i.e.
 * c_k ≤ B · u_k / U_k ("each winner asks at most its proportional share of the
 * budget"). r_k and U_k both grow with k, so the condition holds on a prefix
 * and the cut-off k* is found by binary search.
 *
 * Payments. Each winner i is paid its threshold: the largest price at which
 * it would still win with everyone else's bids fixed. Sort the others alone
 * (ratios s_1 ≤ s_2 ≤ …, prefix utilities V_m). Bidding ratio r puts i after
 * the m(r) others cheaper than it, and i then wins iff r · (V_m + u_i) ≤ B.
 * That test is monotone in m, so with m* the largest m for which i can still
 * sit after m others (s_m · (V_m + u_i) ≤ B), the threshold ratio is
 * θ_i = min(s_{m*+1}, B / (V_{m*} + u_i)) and the payment is θ_i · u_i,
 * capped by the bid's reserve. Computing it is one binary search per winner,
 * so clearing is O(n log n).
 *
 * Utility cap. Optionally the prefix must also keep U_k ≤ Q, a cap that
 * depends on utilities only (the coverage quota of a label group). Both tests
 * are monotone in k, so the winners are still a prefix; in the threshold
 * search a seat after m others additionally needs V_m + u_i ≤ Q. Every
 * property below survives the cap unchanged.
 *
 * Properties (all with respect to the price, the one private parameter; the
 * other attributes are taken as reported and attested elsewhere):
 * - Truthful: the allocation is monotone in the price (raising it only moves
 *   the bid later in the order) and winners are paid their critical value, so
 *   by Myerson's lemma bidding one's true cost is a dominant strategy.
 * - Individually rational: the truthful ratio is itself winning, so θ_i ≥ r_i
 *   and the payment is at least the bid.
 * - Budget feasible: every winner's ratio is at most r_{k*} ≤ B / U_{k*}, and
 *   θ_i ≤ B / U_{k*} in both branches of the minimum, so Σ θ_i u_i ≤ B.
 * - Rounding: payments are rounded down to whole minor units. Because the bid
 *   is itself an integer and θ_i · u_i ≥ c_i, rounding down never breaks
 *   individual rationality, and it keeps the sum within the budget.
 * - Not claimed: Singer's constant-factor approximation of the optimal
 *   utility needs an extra "best single bidder" branch, which we leave out;
 *   this is the plain proportional-share rule.
 */

/** A bid as the mechanism sees it: only price and utility matter here. */
export interface ScoredBid {
  id: string;
  /** Asked price in minor units. */
  price: bigint;
  /** Utility in integer points (> 0); computed from attributes other than the price. */
  utility: number;
  /** Highest price the buyer accepts for this bid regardless of competition; omitted means none. */
  reserve?: bigint;
}

export interface ProportionalShareWinner {
  /** Index into the input array. */
  index: number;
  payment: bigint;
}

const relativeTieBand = 1e-9;

/**
 * Orders indices by price per utility with exact arithmetic where floating
 * point cannot tell two ratios apart; the rest is a cheap float comparison.
 */
function sortByRatio(bids: readonly ScoredBid[], indices: number[]): number[] {
  const keys = new Float64Array(bids.length);
  const utilities: bigint[] = new Array(bids.length);
  for (const i of indices) {
    const bid = bids[i] as ScoredBid;
    keys[i] = Number(bid.price) / bid.utility;
  }
  const bigUtility = (i: number): bigint => {
    utilities[i] ??= BigInt((bids[i] as ScoredBid).utility);
    return utilities[i];
  };
  return indices.sort((a, b) => {
    const ka = keys[a] as number;
    const kb = keys[b] as number;
    const difference = ka - kb;
    if (Math.abs(difference) > relativeTieBand * Math.max(ka, kb)) return difference;
    const left = (bids[a] as ScoredBid).price * bigUtility(b);
    const right = (bids[b] as ScoredBid).price * bigUtility(a);
    if (left !== right) return left < right ? -1 : 1;
    const idA = (bids[a] as ScoredBid).id;
    const idB = (bids[b] as ScoredBid).id;
    return idA < idB ? -1 : idA > idB ? 1 : 0;
  });
}

/** Largest k in [lo, hi] for which `holds(k)` is true, given `holds` is true then false; lo - 1 if none. */
function lastTrue(lo: number, hi: number, holds: (k: number) => boolean): number {
  let answer = lo - 1;
  let low = lo;
  let high = hi;
  while (low <= high) {
    const mid = (low + high) >>> 1;
    if (holds(mid)) {
      answer = mid;
      low = mid + 1;
    } else {
      high = mid - 1;
    }
  }
  return answer;
}

/**
 * Clears one budget among bids. Bids with non-positive utility or a price
 * above their reserve do not take part. Returns winners (input indices) with
 * their payments; the payments sum to at most `budget`.
 */
export function clearProportionalShare(
  bids: readonly ScoredBid[],
  budget: bigint,
  utilityCap: number = Number.POSITIVE_INFINITY,
): ProportionalShareWinner[] {
  if (budget <= 0n) return [];
  const eligible: number[] = [];
  for (let i = 0; i < bids.length; i++) {
    const bid = bids[i] as ScoredBid;
    if (!(bid.utility > 0) || !Number.isSafeInteger(bid.utility)) continue;
    if (bid.reserve !== undefined && bid.price > bid.reserve) continue;
    eligible.push(i);
  }
  const order = sortByRatio(bids, eligible);
  const n = order.length;
  // prefix[k] = utility of the first k bids in order; exact while the sum stays below 2^53.
  const prefix = new Float64Array(n + 1);
  for (let k = 0; k < n; k++) {
    prefix[k + 1] = (prefix[k] as number) + (bids[order[k] as number] as ScoredBid).utility;
  }
  const bidAt = (position: number) => bids[order[position - 1] as number] as ScoredBid;
  const winnerCount = lastTrue(1, n, (k) => {
    const bid = bidAt(k);
    if ((prefix[k] as number) > utilityCap) return false;
    return bid.price * BigInt(prefix[k] as number) <= budget * BigInt(bid.utility);
  });

  const winners: ProportionalShareWinner[] = [];
  for (let position = 1; position <= winnerCount; position++) {
    const self = bidAt(position);
    const selfUtility = self.utility;
    // The m-th of the others (1-based) and the others' prefix utility up to it.
    const otherAt = (m: number) => bidAt(m < position ? m : m + 1);
    const othersPrefix = (m: number) =>
      m < position ? (prefix[m] as number) : (prefix[m + 1] as number) - selfUtility;
    const lastSeat = lastTrue(1, n - 1, (m) => {
      const other = otherAt(m);
      if (othersPrefix(m) + selfUtility > utilityCap) return false;
      return other.price * BigInt(othersPrefix(m) + selfUtility) <= budget * BigInt(other.utility);
    });
    const seatsAhead = Math.max(lastSeat, 0);
    const bigSelfUtility = BigInt(selfUtility);
    let payment = (budget * bigSelfUtility) / BigInt(othersPrefix(seatsAhead) + selfUtility);
    if (seatsAhead + 1 <= n - 1) {
      const next = otherAt(seatsAhead + 1);
      const atNextRatio = (next.price * bigSelfUtility) / BigInt(next.utility);
      if (atNextRatio < payment) payment = atNextRatio;
    }
    if (self.reserve !== undefined && self.reserve < payment) payment = self.reserve;
    winners.push({ index: order[position - 1] as number, payment });
  }
  return winners;
}
