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

const keyOf = (members: readonly number[]): string => [...members].sort((a, b) => a - b).join(",");

/**
 * Memoises a utility by coalition (keyed by the sorted member list), so
 * every method pays once per distinct coalition and reports how many it
 * evaluated.
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

  /** Whether this coalition was evaluated already (asking for it again is free). */
  has(members: readonly number[]): boolean {
    return this.#cache.has(keyOf(members));
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
