import type { ContributionRecord } from "../../store/repositories/contributions-repository.ts";
import type { ParticipantStanding } from "../payouts/payout-plan.ts";

/**
 * Methods in the order their scores are trusted: exact Shapley where a round
 * was small enough, then GTG-Shapley's estimate, then leave-one-out.
 */
export const preferredMethods = ["exact-shapley", "gtg-shapley", "leave-one-out"] as const;

/**
 * How a round's `inputs` mark a holder: the scorer records the round's
 * standings in `standing.flags` (holder id → `attacker` or `free_rider`,
 * decided by the rule in round-standing.ts from evidence stored beside
 * them); a row may also carry its own `flag` (rows written by hand or by an
 * auditor's ruling).
 */
export const standingFlagKey = "flag";

/** The flag a round's inputs give a holder, if any. */
function roundFlagOf(inputs: Record<string, unknown>, holderId: string): string | undefined {
  const own = inputs[standingFlagKey];
  if (typeof own === "string") return own;
  const standing = inputs.standing;
  if (typeof standing !== "object" || standing === null) return undefined;
  const flags = (standing as { flags?: unknown }).flags;
  if (typeof flags !== "object" || flags === null) return undefined;
  const flag = (flags as Record<string, unknown>)[holderId];
  return typeof flag === "string" ? flag : undefined;
}

export interface HolderContribution {
  holderId: string;
  /** Sum of the holder's round scores (Shapley values add up across rounds). */
  total: number;
  roundsScored: number;
  standing: ParticipantStanding;
}

export interface TaskContributions {
  /** The method whose scores were used, per round. */
  methodByRound: Record<string, string>;
  byHolder: Map<string, HolderContribution>;
}

/**
 * Sums each holder's contribution over the task's rounds, using in every
 * round the one method all its scores come from (the agreed one, else the
 * most trusted one scored), and decides each holder's standing:
 * - attacker: flagged as one in any round;
 * - free rider: flagged as one, never scored although invited (no update
 *   arrived in time), or a total of zero or less (its updates did not
 *   improve the model);
 * - contributor otherwise, including a never-scored holder owed its base
 *   without a bonus (`baseOnly`, see base-only.ts).
 */
export function taskContributions(
  holderIds: readonly string[],
  records: readonly ContributionRecord[],
  agreedMethod?: string,
  baseOnly: ReadonlySet<string> = new Set(),
): TaskContributions {
  const byRound = new Map<number, ContributionRecord[]>();
  for (const record of records) {
    const rows = byRound.get(record.round) ?? [];
    rows.push(record);
    byRound.set(record.round, rows);
  }
  const methodByRound: Record<string, string> = {};
  const totals = new Map<string, { total: number; rounds: number; flags: Set<string> }>(
    holderIds.map((id) => [id, { total: 0, rounds: 0, flags: new Set<string>() }]),
  );
  for (const [round, rows] of [...byRound].sort(([a], [b]) => a - b)) {
    const method = chooseMethod(new Set(rows.map((row) => row.method)), agreedMethod);
    if (method === undefined) continue;
    methodByRound[String(round)] = method;
    for (const row of rows) {
      const holder = totals.get(row.holderId);
      if (row.method !== method || holder === undefined) continue;
      holder.total += row.score;
      holder.rounds += 1;
      const flag = roundFlagOf(row.inputs, row.holderId);
      if (flag !== undefined) holder.flags.add(flag);
    }
  }
  const byHolder = new Map<string, HolderContribution>();
  for (const [holderId, { total, rounds, flags }] of totals) {
    const standing = standingFrom(flags, total, rounds > 0, baseOnly.has(holderId));
    byHolder.set(holderId, { holderId, total, roundsScored: rounds, standing });
  }
  return { methodByRound, byHolder };
}

/**
 * The standing rule, shared with the auditor: an attacker if any round
 * flagged it; a contributor with nothing to share if never scored yet owed
 * its base (base-only.ts); a free rider if flagged so, never scored, or its
 * total is zero or less; a contributor otherwise.
 */
export function standingFrom(
  flags: ReadonlySet<string>,
  total: number,
  scored: boolean,
  owedBaseOnly: boolean,
): ParticipantStanding {
  if (flags.has("attacker")) return "attacker";
  if (!scored && owedBaseOnly) return "contributor";
  if (flags.has("free_rider") || !scored || total <= 0) return "free_rider";
  return "contributor";
}

function chooseMethod(present: Set<string>, agreed: string | undefined): string | undefined {
  if (agreed !== undefined) return present.has(agreed) ? agreed : undefined;
  for (const method of preferredMethods) if (present.has(method)) return method;
  return [...present].sort()[0];
}
