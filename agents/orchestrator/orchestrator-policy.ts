/**
 * The orchestrator's negotiation policy, acting for the model owner. Its
 * reserve for a bid is the bid's utility-proportional share of the budget
 * (times the task's multiplier): it accepts bids at or below it and counters
 * bids above it, opening at 90% of the reserve and conceding linearly to the
 * reserve by its last move. It never offers above the reserve or the bid.
 */
export type OrchestratorMove =
  | { action: "accept"; price: bigint }
  | { action: "offer"; price: bigint };

export interface OrchestratorState {
  bidPrice: bigint;
  reserve: bigint;
  /** The guardian's standing counter, if any. */
  counter: bigint | undefined;
  /** 0-based orchestrator move number, and how many it may make. */
  move: number;
  maxMoves: number;
}

const openingShareBps = 9_000n;

export function orchestratorMove(state: OrchestratorState): OrchestratorMove {
  const standing = state.counter ?? state.bidPrice;
  if (standing <= state.reserve) return { action: "accept", price: standing };
  const steps = BigInt(Math.max(state.maxMoves - 1, 1));
  const shareBps = openingShareBps + ((10_000n - openingShareBps) * BigInt(state.move)) / steps;
  const offer = (state.reserve * (shareBps > 10_000n ? 10_000n : shareBps)) / 10_000n;
  return { action: "offer", price: offer > 0n ? offer : 1n };
}
