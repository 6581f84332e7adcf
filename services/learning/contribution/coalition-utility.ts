/**
 * The value of a coalition of participants: typically the validation accuracy
 * (or negative loss) of the model built from only their updates. Members are
 * participant indices 0..n-1, in increasing order.
 */
export type CoalitionUtility = (members: readonly number[]) => Promise<number>;

/** The result of a contribution method: a value per participant and what it cost. */
export interface ContributionEstimate {
  values: number[];
  /** Distinct coalitions whose utility was evaluated (the expensive part: one model evaluation each). */
  evaluations: number;
}

/**
 * Memoises a utility by coalition, so every method pays once per distinct
 * coalition and reports how many it evaluated. Coalitions are keyed by a
 * bitmask, which bounds the participants per round at 31 for exact
 * enumeration; sampling methods key by the sorted member list instead.
 */
export class CachedUtility {
  readonly #utility: CoalitionUtility;
  readonly #cache = new Map<string, Promise<number>>();

  constructor(utility: CoalitionUtility) {
    this.#utility = utility;
  }

  get evaluations(): number {
    return this.#cache.size;
  }

  of(members: readonly number[]): Promise<number> {
    const sorted = [...members].sort((a, b) => a - b);
    const key = sorted.join(",");
    let value = this.#cache.get(key);
    if (value === undefined) {
      value = this.#utility(sorted);
      this.#cache.set(key, value);
    }
    return value;
  }
}
