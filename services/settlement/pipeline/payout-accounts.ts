import { getAddress, isAddress } from "ethers";
import { AgoraError } from "../../errors/agora-error.ts";
import type { HolderRecord } from "../../store/repositories/holders-repository.ts";
import type { Rail } from "../../store/schema.ts";

/**
 * The rail a holder of a task is paid on. Fiat money sits where the owner
 * put it, so every holder of a Stripe or sandbox task is paid on that rail.
 * A chain task's escrow can pay anyone it names: holders registered on the
 * chain claim their own leaf, and the others are paid on their registered
 * fiat rail out of the coordinator's off-ramp leaf (see `chainLeavesOf`).
 */
export function payoutRailOf(taskRail: Rail, holder: HolderRecord): Rail {
  return taskRail === "chain" ? holder.payoutRail : taskRail;
}

/**
 * Where a holder is paid on its payout rail (see `payoutRailOf`):
 * - chain: its registered payout address, or else its sign-in address (every
 *   holder has one), as a Merkle leaf it claims itself;
 * - stripe: its Connect account; a holder without one cannot be paid in fiat
 *   and stops settlement with a 409 before anything moves;
 * - sandbox: its holder id, since nothing real moves.
 */
export function payoutAccountOf(rail: Rail, holder: HolderRecord): string {
  switch (rail) {
    case "chain": {
      const account = holder.payoutRail === "chain" ? holder.payoutAccount : holder.address;
      if (!isAddress(account)) {
        throw new AgoraError("invalid", "Holder has no usable chain address", {
          detail: `Holder ${holder.id} is paid on chain but ${account} is not an address.`,
        });
      }
      return getAddress(account);
    }
    case "stripe":
      if (holder.payoutRail !== "stripe" || !holder.payoutAccount.startsWith("acct_")) {
        throw new AgoraError("conflict", "Holder has no Stripe account", {
          detail: `Task pays through Stripe; holder ${holder.id} registered the ${holder.payoutRail} rail.`,
        });
      }
      return holder.payoutAccount;
    case "sandbox":
      return holder.id;
  }
}
