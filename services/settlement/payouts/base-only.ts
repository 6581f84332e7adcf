/**
 * Holders owed their base price and no bonus although no round scored them.
 * A never-scored holder is a free rider (it was asked and sent nothing
 * useful) except in two cases that are not its doing:
 * - `never_invited`: the participation plan asked it to no round. Its
 *   agreement says `roundsInvited: 0`, the stored plan agrees, and it sent
 *   no update.
 * - `failed_rounds_only`: it sent an update in time, but only to rounds that
 *   failed (too few others did), so there was nothing to score it in.
 * Settlement and the auditor both call this on the stored rows, so they
 * cannot disagree about who is owed what.
 */
export type BaseOnlyReason = "never_invited" | "failed_rounds_only";

interface BaseOnlyEvidence {
  agreements: ReadonlyArray<{ holderId: string; terms: Readonly<Record<string, unknown>> }>;
  /** The stored participation plan's `rounds` (holder ids per round), when the task has one. */
  plannedRounds: unknown;
  rounds: ReadonlyArray<{ round: number; status: string }>;
  /** Every on-time update of every round. */
  updates: ReadonlyArray<{ holderId: string; round: number }>;
  /** Holders with at least one stored contribution score. */
  scored: ReadonlySet<string>;
}

export function baseOnlyHolders(evidence: BaseOnlyEvidence): Map<string, BaseOnlyReason> {
  const planned = Array.isArray(evidence.plannedRounds) ? evidence.plannedRounds : [];
  const invited = new Set(planned.flatMap((round: unknown) => (Array.isArray(round) ? round : [])));
  const failed = new Set(
    evidence.rounds.filter((round) => round.status === "failed").map((round) => round.round),
  );
  const roundsSent = new Map<string, number[]>();
  for (const update of evidence.updates) {
    roundsSent.set(update.holderId, [...(roundsSent.get(update.holderId) ?? []), update.round]);
  }
  const owed = new Map<string, BaseOnlyReason>();
  for (const { holderId, terms } of evidence.agreements) {
    if (evidence.scored.has(holderId)) continue;
    const sent = roundsSent.get(holderId) ?? [];
    if (sent.length === 0) {
      if (terms.roundsInvited === 0 && !invited.has(holderId)) owed.set(holderId, "never_invited");
    } else if (sent.every((round) => failed.has(round))) {
      owed.set(holderId, "failed_rounds_only");
    }
  }
  return owed;
}
