import { getAddress } from "ethers";
import { AgoraError } from "../../errors/agora-error.ts";
import { loadPayoutTree, type PayoutTreeDump } from "../merkle/payout-tree.ts";
import { payOffRampedFiat } from "../rails/off-ramp-payouts.ts";
import { sandboxLabel } from "../rails/payment-rail.ts";
import { bookChainEvents } from "./chain-bookkeeping.ts";
import { chainOf, chainTaskIdIn } from "./chain-context.ts";
import { done, type SettlementContext, type SettlementStep } from "./settlement-step.ts";

/** The off-ramp leaf the `committed` step recorded, if the task has fiat-rail holders. */
function offRampIn(
  state: SettlementContext["state"],
): { index: number; account: string; amount: bigint } | null {
  const recorded = state.offRamp as { index?: unknown; account?: unknown; amount?: unknown } | null;
  if (recorded === null || recorded === undefined) return null;
  if (
    typeof recorded.index !== "number" ||
    typeof recorded.account !== "string" ||
    typeof recorded.amount !== "string"
  ) {
    throw new AgoraError("internal", "Settlement recorded an unreadable off-ramp leaf");
  }
  return { index: recorded.index, account: recorded.account, amount: BigInt(recorded.amount) };
}

/**
 * How a chain task pays holders registered on a fiat rail: once the root is
 * final, the coordinator claims the off-ramp leaf (the fiat holders' sum, to
 * its own address) with the stored proof, books the claim (escrow →
 * off-ramp), then pays each fiat holder on its rail (off-ramp → holder).
 * Claiming reads the escrow's claimed bitmap first and paying is keyed by
 * payout id, so a resumed run neither claims nor pays twice.
 */
export const offRampSteps: readonly SettlementStep[] = [
  {
    name: "off-ramped",
    async run({ deps, repos, task, state }) {
      const offRamp = offRampIn(state);
      if (offRamp === null) return done({ offRampClaimed: false });
      const chain = chainOf(deps);
      const chainTaskId = chainTaskIdIn(state);
      const escrowTask = await chain.escrow.getTask(chainTaskId);
      if (!escrowTask.claimable) {
        throw new AgoraError("conflict", "Payouts are not claimable", {
          detail: `Escrow task ${chainTaskId} is ${escrowTask.status}; the off-ramp leaf waits.`,
        });
      }
      const stored = await repos.payoutTrees.find(task.id);
      if (stored === undefined) throw new AgoraError("internal", "Committed tree not stored");
      const leaf = loadPayoutTree(stored.dump as unknown as PayoutTreeDump).proofAt(offRamp.index);
      if (
        getAddress(leaf.account) !== getAddress(offRamp.account) ||
        leaf.amount !== offRamp.amount
      ) {
        throw new AgoraError("internal", "Stored tree does not hold the off-ramp leaf", {
          detail: `Leaf ${offRamp.index} of ${task.id}.`,
        });
      }
      await chain.escrow.claim(chainTaskId, leaf);
      // Booked now, so the off-ramp account holds the claim before any fiat payout draws on it.
      const booked = await bookChainEvents(deps.db, chain, task, chainTaskId);
      return done({ offRampClaimed: true, offRampBookings: booked.offRamps });
    },
  },
  {
    name: "fiat-paid",
    async run({ deps, repos, task }) {
      const paid = await payOffRampedFiat(
        { db: deps.db, stripe: deps.stripe },
        task,
        await repos.payouts.listForTask(task.id),
      );
      return done({
        fiatPayouts: paid.map((p) => ({
          payoutId: p.payoutId,
          rail: p.rail,
          reference: p.reference,
          ...(p.rail === "sandbox" && { label: sandboxLabel }),
        })),
      });
    },
  },
];
