/**
 * Alternating offers over one bid, bounded in moves and time. The
 * orchestrator moves first (accepting a bid within its reserve, which the
 * guardian then confirms, else offering), the guardian answers (accept, reject or counter), and so on,
 * each side making at most `maxMoves` moves before the deadline. The agreed
 * price never exceeds the signed bid: the orchestrator never offers above it
 * and the guardian never counters above it.
 */
export type GuardianReply =
  | { action: "accept" }
  | { action: "reject"; reason: string }
  | { action: "counter"; price: bigint };
export type OrchestratorReply =
  | { action: "accept"; price: bigint }
  | { action: "offer"; price: bigint };

export interface NegotiationMove {
  step: number;
  party: "orchestrator" | "guardian";
  action: "offer" | "counter" | "accept" | "reject";
  price: bigint | null;
}

export interface NegotiationResult {
  outcome: "agreed" | "failed";
  price: bigint | undefined;
  moves: NegotiationMove[];
  /** Why it failed: rejected, out of moves, or out of time. */
  reason: string | undefined;
}

export interface NegotiationInput {
  bidPrice: bigint;
  maxMoves: number;
  /** Wall-clock instant after which no move is made. */
  deadline: number;
  clock?: () => number;
  orchestrator(move: number, counter: bigint | undefined): Promise<OrchestratorReply>;
  guardian(move: number, offer: bigint): Promise<GuardianReply>;
}

export async function negotiate(input: NegotiationInput): Promise<NegotiationResult> {
  const clock = input.clock ?? Date.now;
  const moves: NegotiationMove[] = [];
  let counter: bigint | undefined;
  const failed = (reason: string): NegotiationResult => ({
    outcome: "failed",
    price: undefined,
    moves,
    reason,
  });
  for (let move = 0; move < input.maxMoves; move++) {
    if (clock() > input.deadline) return failed("negotiation deadline passed");
    const ours = await input.orchestrator(move, counter);
    if (ours.action === "accept") {
      moves.push({
        step: moves.length,
        party: "orchestrator",
        action: "accept",
        price: ours.price,
      });
      // The guardian confirms: its ledger, hardware or availability may have changed since it bid.
      const confirmation = await input.guardian(move, ours.price);
      if (confirmation.action === "accept") {
        moves.push({ step: moves.length, party: "guardian", action: "accept", price: ours.price });
        return { outcome: "agreed", price: ours.price, moves, reason: undefined };
      }
      moves.push({ step: moves.length, party: "guardian", action: "reject", price: null });
      return failed(
        confirmation.action === "reject"
          ? `guardian withdrew: ${confirmation.reason}`
          : "guardian did not confirm its own price",
      );
    }
    moves.push({ step: moves.length, party: "orchestrator", action: "offer", price: ours.price });
    if (clock() > input.deadline) return failed("negotiation deadline passed");
    const theirs = await input.guardian(move, ours.price);
    if (theirs.action === "accept") {
      moves.push({ step: moves.length, party: "guardian", action: "accept", price: ours.price });
      return { outcome: "agreed", price: ours.price, moves, reason: undefined };
    }
    if (theirs.action === "reject") {
      moves.push({ step: moves.length, party: "guardian", action: "reject", price: null });
      return failed(`guardian rejected: ${theirs.reason}`);
    }
    // A counter above the signed bid would be a new, unsigned price: hold the guardian to its bid.
    // biome-ignore lint/complexity/useMathMinMax: prices are bigint, which Math.min does not take.
    const held = theirs.price < input.bidPrice ? theirs.price : input.bidPrice;
    counter = held;
    moves.push({ step: moves.length, party: "guardian", action: "counter", price: held });
  }
  return failed("out of moves");
}
