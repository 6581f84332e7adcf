import { neverInvited } from "../../settlement/payouts/never-invited.ts";
import type { AuditInputs } from "./audit-inputs.ts";

/**
 * Holders owed their base price without training: the agreement says the
 * participation plan invited them to no round, the stored plan agrees, and
 * no update of theirs was stored. Checked against all three rather than
 * taken from the agreement alone, so a holder that was invited cannot be
 * passed off as uninvited.
 */
export function uninvitedHolders(inputs: AuditInputs): Set<string> {
  const planned = Array.isArray(inputs.selection?.rounds) ? inputs.selection.rounds : [];
  const invited = new Set(planned.flatMap((round: unknown) => (Array.isArray(round) ? round : [])));
  const trained = new Set(inputs.updates.map((update) => update.holderId));
  return new Set(
    inputs.agreements
      .filter((agreement) => neverInvited(agreement.terms))
      .map((agreement) => agreement.holderId)
      .filter((holderId) => !invited.has(holderId) && !trained.has(holderId)),
  );
}
