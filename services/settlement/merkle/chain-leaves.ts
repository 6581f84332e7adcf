import { AgoraError } from "../../errors/agora-error.ts";
import type { Rail } from "../../store/schema.ts";
import type { PayoutRow } from "./payout-table.ts";

/** A payout line as the leaf layout needs it. */
export interface LeafSource {
  holderId: string;
  rail: Rail;
  account: string;
  amount: bigint;
  /** The line's position in the task's payout table (see `planTaskPayouts`). */
  leafIndex: number;
}

/** The platform's own leaf: what the fiat-rail holders of a chain task are owed, together. */
interface OffRampLeaf {
  index: number;
  /** The coordinator's chain address: it claims the leaf and pays the fiat holders. */
  account: string;
  amount: bigint;
}

/**
 * The leaves of a chain-funded task's Merkle table, the one layout both the
 * settle pipeline (which commits the root) and the auditor (which rebuilds
 * it) use: one leaf per chain-rail line with a positive amount, at the
 * line's own index (0..k-1, paid-first), then, when some holders are paid on
 * a fiat rail, one off-ramp leaf at index k carrying their sum to the
 * coordinator, which claims it and pays them off chain. Lines with nothing to
 * pay never enter the tree.
 *
 * @throws AgoraError `internal` when chain lines are not numbered 0..k-1, or
 *   fiat lines exist and no off-ramp account is known.
 */
export function chainLeavesOf(
  lines: readonly LeafSource[],
  offRampAccount: string | undefined,
): { leaves: PayoutRow[]; offRamp: OffRampLeaf | null } {
  const chainLines = lines
    .filter((line) => line.rail === "chain" && line.amount > 0n)
    .sort((a, b) => a.leafIndex - b.leafIndex);
  chainLines.forEach((line, position) => {
    if (line.leafIndex !== position) {
      throw new AgoraError("internal", "Payout leaves are not numbered paid-first", {
        detail: `${line.holderId} has leaf ${line.leafIndex}, expected ${position}.`,
      });
    }
  });
  const leaves: PayoutRow[] = chainLines.map(({ account, amount }) => ({ account, amount }));
  const fiatTotal = lines
    .filter((line) => line.rail !== "chain" && line.amount > 0n)
    .reduce((sum, line) => sum + line.amount, 0n);
  if (fiatTotal === 0n) return { leaves, offRamp: null };
  if (offRampAccount === undefined) {
    throw new AgoraError("internal", "No off-ramp account for the fiat payouts", {
      detail: "Fiat-rail holders of a chain task are paid through the coordinator's leaf.",
    });
  }
  const offRamp = { index: leaves.length, account: offRampAccount, amount: fiatTotal };
  leaves.push({ account: offRamp.account, amount: offRamp.amount });
  return { leaves, offRamp };
}
