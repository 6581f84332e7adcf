import type { CheckResult } from "../auditor/audit-findings.ts";

/** What the auditor concludes: attest the committed payouts, dispute them, or neither. */
export type AuditVerdict = "attest" | "dispute" | "inconclusive";

/** The escrow's view of the task when it was audited. */
export interface AuditedChainState {
  chainId: string;
  escrow: string;
  /** The escrow's task id, decimal. */
  chainTaskId: string;
  status: string;
  committedRoot: string;
  /** Minor units, decimal. */
  committedTotal: string;
  /** The escrow task's coordinator: the off-ramp leaf of fiat-rail holders pays it. */
  coordinator: string;
  commitNumber: number;
  challengeEndsAt: number;
}

/**
 * An audit report: plain JSON (bigints as decimal strings), so that its canonical encoding, and
 * therefore its hash, is the same in memory, in the file and in anyone's verifier.
 */
export interface AuditReport {
  format: "agora.audit-report/1";
  taskId: string;
  /** The auditor's address (checksummed); the signature must recover to it. */
  auditor: string;
  generatedAt: string;
  /** Contribution method the payouts were checked against. */
  method: string | null;
  /** Null when the task does not settle on chain, or its escrow could not be read. */
  chain: AuditedChainState | null;
  verdict: AuditVerdict;
  /** Why: every failed finding for a dispute, what is missing for an inconclusive audit. */
  reasons: string[];
  checks: CheckResult[];
}
