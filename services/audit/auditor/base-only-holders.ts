import { type BaseOnlyReason, baseOnlyHolders } from "../../settlement/payouts/base-only.ts";
import type { AuditInputs } from "./audit-inputs.ts";

/**
 * Who the stored rows say is owed a base and no bonus without a score (see
 * base-only.ts): read from the agreements, the stored participation plan,
 * the rounds and their on-time updates, never from the payout table.
 */
export const baseOnlyHoldersOf = (inputs: AuditInputs): Map<string, BaseOnlyReason> =>
  baseOnlyHolders({
    agreements: inputs.agreements,
    plannedRounds: inputs.selection?.rounds,
    rounds: inputs.rounds,
    updates: inputs.updates,
    scored: new Set(inputs.contributions.map((row) => row.holderId)),
  });
