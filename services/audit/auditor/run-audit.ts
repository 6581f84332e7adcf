import { getAddress } from "ethers";
import type { Kysely } from "kysely";
import type { EscrowClient } from "../../settlement/chain/escrow-client.ts";
import { escrowTaskIdOf } from "../../settlement/chain/escrow-task-terms.ts";
import type { EscrowTask } from "../../settlement/chain/escrow-types.ts";
import type { TaskRecord } from "../../store/repositories/tasks-repository.ts";
import type { Database } from "../../store/schema.ts";
import { canonicalJson } from "../canonical-json.ts";
import type { AuditedChainState, AuditReport, AuditVerdict } from "../report/audit-report.ts";
import { type CheckResult, checkResult } from "./audit-findings.ts";
import { contributionTotals, loadAuditInputs, payoutMethodOf } from "./audit-inputs.ts";
import { checkContributions, type RoundRecomputer } from "./check-contributions.ts";
import { checkFairness } from "./check-fairness.ts";
import { checkFreeRiders } from "./check-free-riders.ts";
import { checkPayouts } from "./check-payouts.ts";
import { checkPrivacy } from "./check-privacy.ts";
import { checkSelectionBias } from "./check-selection-bias.ts";

/** What an audit reads from and how it recomputes. */
export interface AuditorDependencies {
  db: Kysely<Database>;
  /** The auditor's address; the report names it and must be signed with its key. */
  auditor: string;
  /** The escrow the task settles in, with the chain it lives on; absent for off-chain rails. */
  escrow?: { client: EscrowClient; chainId: bigint };
  /** Recomputes contributions from stored inputs; without it the audit cannot attest. */
  recompute?: RoundRecomputer;
  /** The contribution method payouts follow (default: see `payoutMethodOf`). */
  method?: string;
  /** Largest accepted difference of a recomputed score (default `defaultContributionTolerance`). */
  tolerance?: number;
  now?: () => Date;
}

/** Checks that must have run for an audit to attest: without them nothing was verified. */
const essentialChecks = new Set(["contributions", "payouts"]);

/**
 * Audits one task from its stored rows and the escrow: recomputes contributions, rebuilds the
 * payout table and its root, checks privacy, selection bias, fairness and free riders, and
 * concludes. Any failed finding makes the verdict `dispute`; an essential check that could not
 * run (or an unreadable commitment) makes it `inconclusive`; otherwise `attest`.
 */
export async function runAudit(taskId: string, deps: AuditorDependencies): Promise<AuditReport> {
  const inputs = await loadAuditInputs(deps.db, taskId);
  const method = payoutMethodOf(inputs.contributions, deps.method);
  const totals = contributionTotals(inputs.contributions, method);
  const unavailable: string[] = [];
  const chainTaskId = await escrowTaskOf(inputs.task, deps.escrow, unavailable);
  const chain = await readChainState(chainTaskId, deps.escrow, unavailable);
  if (inputs.task.rail === "chain" && chain === null && unavailable.length === 0) {
    unavailable.push("the task settles on chain but no escrow was given to read its commitment");
  }
  const payouts = checkPayouts(
    inputs,
    totals,
    chain === null
      ? null
      : {
          root: chain.committedRoot,
          total: BigInt(chain.committedTotal),
          offRampAccount: chain.coordinator,
        },
    method,
  );
  const checks: CheckResult[] = [
    await checkContributions(inputs.contributions, deps.recompute, deps.tolerance),
    payouts.result,
    checkPrivacy(inputs),
    checkSelectionBias(inputs),
    checkFairness(inputs, totals, method),
    checkFreeRiders(inputs, totals, method),
  ];
  if (inputs.payouts.length === 0) {
    checks[1] = checkResult("payouts", "no payout table is stored: nothing to audit yet", [
      { severity: "warn", code: "payouts_missing", message: "the task has no stored payout table" },
    ]);
    unavailable.push("the task has no stored payout table");
  }
  const { verdict, reasons } = conclude(checks, unavailable);
  const report: AuditReport = {
    format: "agora.audit-report/1",
    taskId,
    auditor: getAddress(deps.auditor),
    generatedAt: (deps.now?.() ?? new Date()).toISOString(),
    method: method ?? null,
    chain,
    verdict,
    reasons,
    checks,
  };
  // Plain JSON from here on: bigints become decimal strings, as in the file and the hash.
  return JSON.parse(canonicalJson(report)) as AuditReport;
}

function conclude(
  checks: readonly CheckResult[],
  unavailable: readonly string[],
): { verdict: AuditVerdict; reasons: string[] } {
  const failures = checks.flatMap((check) =>
    check.findings
      .filter((finding) => finding.severity === "fail")
      .map(
        (finding) =>
          `${check.check}: ${finding.code}${finding.holderId === undefined ? "" : ` (${finding.holderId})`}: ${finding.message}`,
      ),
  );
  if (failures.length > 0) return { verdict: "dispute", reasons: failures };
  const missing = [
    ...unavailable,
    ...checks
      .filter((check) => check.status === "skipped" && essentialChecks.has(check.check))
      .map((check) => `${check.check}: ${check.summary}`),
  ];
  if (missing.length > 0) return { verdict: "inconclusive", reasons: missing };
  return { verdict: "attest", reasons: [] };
}

/**
 * The escrow task to audit: the id the task's row records, else the one the escrow itself finds
 * by (owner, terms hash), as settlement does (a task funded through the API does not record it).
 */
async function escrowTaskOf(
  task: TaskRecord,
  escrow: AuditorDependencies["escrow"],
  unavailable: string[],
): Promise<string | null> {
  if (task.chainTaskId !== null || task.rail !== "chain" || escrow === undefined) {
    return task.chainTaskId;
  }
  try {
    const id = await escrowTaskIdOf(escrow.client, task);
    if (id !== 0n) return id.toString();
    unavailable.push(`the escrow holds no task of owner ${task.ownerAddress} for ${task.id}`);
    return null;
  } catch (error) {
    unavailable.push(
      `the escrow could not be read: ${error instanceof Error ? error.message : String(error)}`,
    );
    return null;
  }
}

async function readChainState(
  chainTaskId: string | null,
  escrow: AuditorDependencies["escrow"],
  unavailable: string[],
): Promise<AuditedChainState | null> {
  if (chainTaskId === null || escrow === undefined) return null;
  const id = BigInt(chainTaskId);
  let task: EscrowTask;
  try {
    task = await escrow.client.getTask(id);
  } catch (error) {
    unavailable.push(
      `the escrow could not be read: ${error instanceof Error ? error.message : String(error)}`,
    );
    return null;
  }
  if (task.status === "none" || task.status === "funded" || task.status === "cancelled") {
    unavailable.push(`the escrow task is ${task.status}: no payouts are committed`);
    return null;
  }
  return {
    chainId: escrow.chainId.toString(),
    escrow: getAddress(escrow.client.address),
    chainTaskId: id.toString(),
    status: task.status,
    committedRoot: task.payoutRoot.toLowerCase(),
    committedTotal: task.committedTotal.toString(),
    coordinator: getAddress(task.coordinator),
    commitNumber: task.commitNumber,
    challengeEndsAt: task.challengeEndsAt,
  };
}
