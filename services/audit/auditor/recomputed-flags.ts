import { roundStandingSchema, standingFlags } from "../../learning/contribution/round-standing.ts";
import type { ContributionRecord } from "../../store/repositories/contributions-repository.ts";
import { canonicalJson } from "../canonical-json.ts";
import type { Finding } from "./audit-findings.ts";

/**
 * Each holder's flags over the rounds, recomputed from every round's stored standing evidence and
 * scores; a stored flag set that differs from the recomputed one is a finding, and the recomputed
 * flags are the ones that count. Rows without a standing (scored before standings were recorded)
 * contribute only their own `flag`, if any.
 */
export function recomputedFlags(
  rows: readonly ContributionRecord[],
  findings: Finding[] = [],
): Map<string, Set<string>> {
  const flagged = new Map<string, Set<string>>();
  const mark = (holderId: string, flag: string) => {
    const flags = flagged.get(holderId) ?? new Set<string>();
    flags.add(flag);
    flagged.set(holderId, flags);
  };
  const byRound = new Map<number, ContributionRecord[]>();
  for (const row of rows) {
    byRound.set(row.round, [...(byRound.get(row.round) ?? []), row]);
    if (typeof row.inputs.flag === "string") mark(row.holderId, row.inputs.flag);
  }
  for (const [round, roundRows] of byRound) {
    const raw = roundRows.find((row) => row.inputs.standing !== undefined)?.inputs.standing;
    if (raw === undefined) continue;
    const parsed = roundStandingSchema.safeParse(raw);
    if (!parsed.success) {
      findings.push({
        severity: "fail",
        code: "standing_unreadable",
        message: `round ${round}: the stored standing is malformed`,
      });
      continue;
    }
    const standing = parsed.data;
    const recomputed = standingFlags({
      strategy: standing.strategy,
      evidence: standing.evidence,
      scores: new Map(roundRows.map((row) => [row.holderId, row.score])),
      validationExamples: standing.validationExamples,
      thresholds: standing.thresholds,
    });
    if (canonicalJson(recomputed) !== canonicalJson(standing.flags)) {
      findings.push({
        severity: "fail",
        code: "standing_flags_mismatch",
        message: `round ${round}: stored flags ${canonicalJson(standing.flags)}, the evidence gives ${canonicalJson(recomputed)}`,
      });
    }
    for (const [holderId, flag] of Object.entries(recomputed)) mark(holderId, flag);
  }
  return flagged;
}
