import { getAddress, isAddress } from "ethers";
import { AgoraError, type FieldIssue } from "../../errors/agora-error.ts";

/** One holder's payout for a task, in the escrow token's minor units. */
export interface PayoutRow {
  account: string;
  amount: bigint;
}

/** A checked payout table: checksummed accounts, positive amounts, no account twice. */
export interface PayoutTable {
  rows: readonly PayoutRow[];
  total: bigint;
}

/** The contract stores totals and amounts as uint96, so anything larger could never be claimed. */
export const MAX_PAYOUT_AMOUNT = (1n << 96n) - 1n;

/**
 * Checks a payout table before it becomes a Merkle tree. Leaf order is the order given, so the
 * same table always yields the same root.
 *
 * @throws AgoraError `invalid` with one issue per bad row.
 */
export function checkPayoutTable(rows: readonly PayoutRow[]): PayoutTable {
  const issues: FieldIssue[] = [];
  if (rows.length === 0)
    issues.push({ pointer: "", message: "a payout table needs at least one row" });
  const seen = new Set<string>();
  const checked: PayoutRow[] = [];
  let total = 0n;
  rows.forEach((row, index) => {
    if (typeof row.account !== "string" || !isAddress(row.account)) {
      issues.push({ pointer: `/${index}/account`, message: "not an Ethereum address" });
      return;
    }
    const account = getAddress(row.account);
    if (seen.has(account)) {
      issues.push({ pointer: `/${index}/account`, message: `${account} appears twice` });
    }
    seen.add(account);
    if (typeof row.amount !== "bigint" || row.amount <= 0n || row.amount > MAX_PAYOUT_AMOUNT) {
      issues.push({
        pointer: `/${index}/amount`,
        message: "amount must be a bigint between 1 and 2^96 - 1 minor units",
      });
      return;
    }
    total += row.amount;
    checked.push({ account, amount: row.amount });
  });
  if (issues.length === 0 && total > MAX_PAYOUT_AMOUNT) {
    issues.push({ pointer: "", message: "the payout total exceeds 2^96 - 1 minor units" });
  }
  if (issues.length > 0) {
    throw new AgoraError("invalid", "Invalid payout table", {
      detail: `${issues.length} problem(s) in the payout table`,
      issues,
    });
  }
  return { rows: checked, total };
}
