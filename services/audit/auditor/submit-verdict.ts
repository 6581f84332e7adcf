import type { Provider } from "ethers";
import type { EscrowClient } from "../../settlement/chain/escrow-client.ts";
import type { SignedAuditReport } from "../report/signed-report.ts";

/** What was done on chain with a verdict. */
export type ChainAction =
  | { kind: "attested" | "disputed"; transactionHash: string | null }
  | { kind: "already-attested" | "already-disputed" }
  | { kind: "not-submitted"; reason: string };

/**
 * Acts on a signed report's verdict with the auditor's escrow client: `attest` the root it
 * checked, or `dispute` with the report hash as the reason (so the chain points at the signed
 * report). Idempotent: state is read first, and an attestation or dispute already on chain is
 * reported, not repeated; the escrow client checks again before every broadcast.
 *
 * Nothing is sent when the verdict is inconclusive, when the chain has moved on since the audit
 * (another commit, finalised, refunded), or when the challenge window has closed.
 */
export async function submitVerdict(
  escrow: EscrowClient,
  provider: Provider,
  signed: SignedAuditReport,
): Promise<ChainAction> {
  const { report } = signed;
  const audited = report.chain;
  if (audited === null)
    return { kind: "not-submitted", reason: "the task is not settled on chain" };
  if (report.verdict === "inconclusive") {
    return { kind: "not-submitted", reason: "the audit is inconclusive" };
  }
  const taskId = BigInt(audited.chainTaskId);
  const task = await escrow.getTask(taskId);
  if (task.commitNumber !== audited.commitNumber) {
    return {
      kind: "not-submitted",
      reason: `the escrow holds commit ${task.commitNumber}, the audit checked commit ${audited.commitNumber}: audit again`,
    };
  }
  if (report.verdict === "attest") {
    if (await escrow.hasAttested(taskId, report.auditor)) return { kind: "already-attested" };
    if (task.status !== "committed") {
      return { kind: "not-submitted", reason: `the escrow task is ${task.status}` };
    }
  } else {
    if (task.status === "disputed") return { kind: "already-disputed" };
    if (task.status !== "committed") {
      return {
        kind: "not-submitted",
        reason: `the escrow task is ${task.status}: too late to dispute`,
      };
    }
  }
  const now = (await provider.getBlock("latest"))?.timestamp ?? 0;
  if (now > task.challengeEndsAt) {
    return { kind: "not-submitted", reason: "the challenge window has closed" };
  }
  const outcome =
    report.verdict === "attest"
      ? await escrow.attest(taskId, audited.committedRoot)
      : await escrow.dispute(taskId, signed.reportHash);
  if (outcome.kind === "already-applied") {
    return { kind: report.verdict === "attest" ? "already-attested" : "already-disputed" };
  }
  return {
    kind: report.verdict === "attest" ? "attested" : "disputed",
    transactionHash: outcome.receipt.hash,
  };
}
