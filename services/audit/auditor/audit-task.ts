import type { Provider, Signer } from "ethers";
import type { AuditLog } from "../audit-log.ts";
import { type WrittenReport, writeReport } from "../report/report-files.ts";
import { type SignedAuditReport, signReport } from "../report/signed-report.ts";
import { type AuditorDependencies, runAudit } from "./run-audit.ts";
import { type ChainAction, submitVerdict } from "./submit-verdict.ts";

/** How `auditTask` runs. */
export interface AuditTaskOptions extends Omit<AuditorDependencies, "auditor"> {
  /** The auditor's key: it signs the report and, with `submit`, sends the chain transaction. */
  signer: Signer;
  /** Reports go to `<dataDir>/reports/<task>/`. */
  dataDir: string;
  /** Act on the verdict on chain (attest or dispute). Default: write the report only. */
  submit?: boolean;
  /** Where to read the latest block time for the challenge window (with `submit`). */
  provider?: Provider;
  /** Records the audit in the hash-chained log when given. */
  log?: AuditLog;
}

export interface AuditTaskOutcome {
  signed: SignedAuditReport;
  files: WrittenReport;
  chainAction: ChainAction;
}

/**
 * The auditor's whole flow for one task: audit, sign, write the report (before any chain action,
 * so a dispute's reason hash always has its report on disk), then, if asked, attest or dispute,
 * and record what happened in the audit log. Safe to run again: the report files are named by
 * their hash and the chain actions check state first.
 */
export async function auditTask(
  taskId: string,
  options: AuditTaskOptions,
): Promise<AuditTaskOutcome> {
  const auditor = await options.signer.getAddress();
  const report = await runAudit(taskId, { ...options, auditor });
  const signed = await signReport(report, options.signer);
  const files = await writeReport(options.dataDir, signed);
  let chainAction: ChainAction = { kind: "not-submitted", reason: "not asked to submit" };
  if (options.submit === true) {
    chainAction =
      options.escrow === undefined || options.provider === undefined
        ? { kind: "not-submitted", reason: "no escrow to submit to" }
        : await submitVerdict(options.escrow.client, options.provider, signed);
  }
  await options.log?.append({
    kind: `audit.${report.verdict}`,
    taskId,
    actor: auditor,
    payload: {
      reportHash: signed.reportHash,
      reasons: report.reasons,
      chainAction: chainAction.kind,
      ...("transactionHash" in chainAction && { transactionHash: chainAction.transactionHash }),
    },
  });
  return { signed, files, chainAction };
}
