import type { RoundProgress } from "../../queues/round-progress.ts";
import type { AgoraApiClient } from "../../services/cli/api-client.ts";
import type { HolderView } from "../../services/cli/api-views.ts";
import { roleOf } from "./cast.ts";
import type { BidOutcome, DemoHolder } from "./holders.ts";
import type { SelectionSummary } from "./owner.ts";
import { type PayoutLine, type PayoutTable, readPayouts } from "./settlement.ts";
import type { TrainJobTally } from "./training-watch.ts";

/** One holder's row of the summary, from what the API told each party during the run. */
export interface HolderReport {
  holder: DemoHolder;
  role: string;
  /** `selected`, `lost`, `rejected`, `declined`. */
  selection: string;
  /** Why, in the orchestrator's (or the guardian's) words. */
  reason: string;
  tier: number | null;
  bidPrice: bigint | null;
  roundsOnTime: number;
  roundsLate: number;
  payout: PayoutLine | undefined;
  /** ε charged to the holder's privacy ledger (GET /holders/me). */
  epsilonSpent: number;
}

export interface DemoReport {
  taskId: string;
  rounds: RoundProgress[];
  holders: HolderReport[];
  payouts: PayoutTable;
  selection: SelectionSummary;
}

interface BidRow {
  id: string;
  holderId: string;
  status: string;
}

/** Why each holder was, or was not, selected: from the selection the orchestrator stored. */
function selectionOf(
  holder: DemoHolder,
  bid: BidOutcome,
  bidRow: BidRow | undefined,
  selection: SelectionSummary,
): { selection: string; reason: string } {
  if (bid.action === "decline")
    return { selection: "declined", reason: `guardian: ${bid.reasons.join("; ")}` };
  const winner = selection.winners.find((entry) => entry.holderId === holder.id);
  if (winner !== undefined) {
    const invited = selection.participation[holder.id] ?? 0;
    return {
      selection: "selected",
      reason: `label group ${winner.group}, utility ${winner.utility}, paid its threshold ${money(BigInt(winner.payment))} for ask ${money(BigInt(winner.price))}; planned for ${invited} round(s)`,
    };
  }
  const failed = selection.negotiationFailed.find((entry) => entry.bidId === bidRow?.id);
  if (failed !== undefined)
    return { selection: "rejected", reason: `negotiation: ${failed.reason}` };
  const ineligible = selection.ineligible.find((entry) => entry.bidId === bidRow?.id);
  if (ineligible !== undefined)
    return { selection: "rejected", reason: `ineligible: ${ineligible.reasons.join("; ")}` };
  return {
    selection: "lost",
    reason: "outbid: its price per unit of utility was above its label group's budget share",
  };
}

/** Minor units of the 6-decimal test stablecoin as `12.345678`. */
export function money(minor: bigint): string {
  const negative = minor < 0n;
  const abs = negative ? -minor : minor;
  return `${negative ? "-" : ""}${abs / 1_000_000n}.${(abs % 1_000_000n).toString().padStart(6, "0")}`;
}

/** Collects the summary's facts through the API, as the owner and each holder see them. */
export async function gatherReport(options: {
  /** The owner's session: the payout table is read as the owner sees it. */
  owner: AgoraApiClient;
  taskId: string;
  ownerBids: BidRow[];
  bids: readonly BidOutcome[];
  selection: SelectionSummary;
  rounds: RoundProgress[];
  tally: TrainJobTally;
}): Promise<DemoReport> {
  const { taskId, selection, tally } = options;
  const payouts = await readPayouts(options.owner, taskId);
  const holders = await Promise.all(
    options.bids.map(async (bid): Promise<HolderReport> => {
      const { holder } = bid;
      const me = await holder.client.get<HolderView>("/holders/me");
      const bidRow = options.ownerBids.find((row) => row.holderId === holder.id);
      const count = (book: Map<number, Set<string>>) =>
        [...book.values()].filter((ids) => ids.has(holder.id)).length;
      return {
        holder,
        role: roleOf(holder.member),
        ...selectionOf(holder, bid, bidRow, selection),
        tier: bid.action === "bid" ? bid.terms.modelTier : null,
        bidPrice: bid.action === "bid" ? BigInt(bid.terms.price) : null,
        roundsOnTime: count(tally.onTime),
        roundsLate: count(tally.late),
        payout: payouts.payouts.find((line) => line.holderId === holder.id),
        epsilonSpent: me.privacySpent ?? 0,
      };
    }),
  );
  return { taskId, rounds: options.rounds, holders, payouts, selection };
}
