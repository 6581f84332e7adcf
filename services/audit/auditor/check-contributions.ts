import type { ContributionRecord } from "../../store/repositories/contributions-repository.ts";
import { canonicalJson } from "../canonical-json.ts";
import { type CheckResult, checkResult, type Finding, skippedCheck } from "./audit-findings.ts";

/** What a recomputation is given: one stored contribution row's key and its recorded inputs. */
export interface RecomputeRequest {
  taskId: string;
  round: number;
  method: string;
  inputs: Record<string, unknown>;
}

/**
 * Recomputes one round's contribution scores from the inputs the scorer stored (update hashes,
 * validation set, seed, options), returning a score per holder. The auditor receives it rather
 * than importing a scorer, so it checks rows whatever code wrote them; see `recomputers.ts`.
 */
export type RoundRecomputer = (request: RecomputeRequest) => Promise<ReadonlyMap<string, number>>;

/**
 * How far a recomputed score may sit from the stored one. Every method is deterministic given its
 * stored seed, so on the same backend scores agree bit for bit; the slack absorbs floating-point
 * differences between tfjs backends (WASM, CPU, GPU sum in different orders), which move an
 * accuracy-based score by far less than 1e-6, while any real change of a score (a swapped update,
 * a different seed) moves it by at least one validation sample, 1/|validation set| ≥ 1e-5 for
 * validation sets under 100,000 samples.
 */
export const defaultContributionTolerance = 1e-6;

/**
 * Recomputes every stored contribution and compares. Rows of one (round, method) that share their
 * inputs are recomputed once.
 */
export async function checkContributions(
  contributions: readonly ContributionRecord[],
  recompute: RoundRecomputer | undefined,
  tolerance = defaultContributionTolerance,
): Promise<CheckResult> {
  if (contributions.length === 0) {
    return skippedCheck("contributions", "no contribution scores are stored for this task");
  }
  if (recompute === undefined) {
    return skippedCheck("contributions", "no recomputation is configured for this auditor");
  }
  const findings: Finding[] = [];
  const recomputed = new Map<string, Promise<ReadonlyMap<string, number>>>();
  let largestDifference = 0;
  let compared = 0;
  for (const row of contributions) {
    const key = `${row.round}\u0000${row.method}\u0000${canonicalJson(row.inputs)}`;
    let scores = recomputed.get(key);
    if (scores === undefined) {
      scores = recompute({
        taskId: row.taskId,
        round: row.round,
        method: row.method,
        inputs: row.inputs,
      });
      recomputed.set(key, scores);
    }
    let score: number | undefined;
    try {
      score = (await scores).get(row.holderId);
    } catch (error) {
      findings.push({
        severity: "fail",
        code: "contribution_not_recomputable",
        holderId: row.holderId,
        message: `round ${row.round} (${row.method}): ${error instanceof Error ? error.message : String(error)}`,
      });
      continue;
    }
    if (score === undefined) {
      findings.push({
        severity: "fail",
        code: "contribution_holder_missing",
        holderId: row.holderId,
        message: `round ${row.round} (${row.method}): the recomputation gives no score to ${row.holderId}`,
      });
      continue;
    }
    compared++;
    const difference = Math.abs(score - row.score);
    largestDifference = Math.max(largestDifference, difference);
    if (!(difference <= tolerance)) {
      findings.push({
        severity: "fail",
        code: "contribution_mismatch",
        holderId: row.holderId,
        message: `round ${row.round} (${row.method}): stored ${row.score}, recomputed ${score} (difference ${difference.toExponential(3)} > ${tolerance})`,
      });
    }
  }
  const rounds = new Set(contributions.map((row) => row.round)).size;
  return checkResult(
    "contributions",
    `${compared} of ${contributions.length} scores over ${rounds} round(s) recomputed; largest difference ${largestDifference.toExponential(3)}`,
    findings,
    { rows: contributions.length, compared, rounds, largestDifference, tolerance },
  );
}
