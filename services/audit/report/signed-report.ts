import { getAddress, getBytes, keccak256, type Signer, toUtf8Bytes, verifyMessage } from "ethers";
import { AgoraError } from "../../errors/agora-error.ts";
import { canonicalJson } from "../canonical-json.ts";
import type { AuditReport } from "./audit-report.ts";

/**
 * A report with its hash and the auditor's signature.
 *
 * Scheme (`eip191-report-hash`): `reportHash = keccak256(utf8(canonicalJson(report)))`, and the
 * signature is an EIP-191 `personal_sign` (version 0x45) of the 32 hash bytes. Signing the hash
 * rather than typed data keeps verification to one call in any Ethereum library, and the same
 * 32 bytes are what goes on chain as the dispute's `reasonHash`, so the chain points at exactly
 * the report that was signed.
 */
export interface SignedAuditReport {
  scheme: "eip191-report-hash";
  reportHash: string;
  signer: string;
  signature: string;
  report: AuditReport;
}

export const reportHashOf = (report: AuditReport): string =>
  keccak256(toUtf8Bytes(canonicalJson(report)));

/**
 * Signs a report with the auditor's key.
 *
 * @throws AgoraError `invalid` when the report names another auditor than the signing key.
 */
export async function signReport(report: AuditReport, signer: Signer): Promise<SignedAuditReport> {
  const address = getAddress(await signer.getAddress());
  if (getAddress(report.auditor) !== address) {
    throw new AgoraError("invalid", "The report names another auditor than the signing key", {
      detail: `report auditor ${report.auditor}, key ${address}`,
    });
  }
  const reportHash = reportHashOf(report);
  const signature = await signer.signMessage(getBytes(reportHash));
  return { scheme: "eip191-report-hash", reportHash, signer: address, signature, report };
}

/** The outcome of `verifyReport`: ok only when every problem list is empty. */
export interface ReportVerification {
  ok: boolean;
  /** The address the signature recovers to, or null if it does not recover at all. */
  recovered: string | null;
  problems: string[];
}

/**
 * Verifies a signed report as anyone can: recomputes the hash from the report's content, checks
 * the signature recovers to the stated signer, and that the signer is the auditor the report
 * names (and, if given, the auditor expected). Takes `unknown` so it can be fed a parsed file.
 */
export function verifyReport(signed: unknown, expectedAuditor?: string): ReportVerification {
  const problems: string[] = [];
  const candidate = signed as Partial<SignedAuditReport> | null;
  if (
    candidate === null ||
    typeof candidate !== "object" ||
    typeof candidate.reportHash !== "string" ||
    typeof candidate.signature !== "string" ||
    typeof candidate.signer !== "string" ||
    typeof candidate.report !== "object" ||
    candidate.report === null
  ) {
    return { ok: false, recovered: null, problems: ["not a signed audit report"] };
  }
  if (candidate.scheme !== "eip191-report-hash") {
    problems.push(`unknown signature scheme ${String(candidate.scheme)}`);
  }
  let recomputed: string | null = null;
  try {
    recomputed = reportHashOf(candidate.report as AuditReport);
  } catch (error) {
    problems.push(`the report cannot be encoded: ${String(error)}`);
  }
  if (recomputed !== null && recomputed !== candidate.reportHash.toLowerCase()) {
    problems.push(
      `the report's content hashes to ${recomputed}, not the signed ${candidate.reportHash}: it was modified`,
    );
  }
  let recovered: string | null = null;
  try {
    recovered = getAddress(verifyMessage(getBytes(candidate.reportHash), candidate.signature));
  } catch {
    problems.push("the signature does not recover to any address");
  }
  const sameAddress = (a: unknown, b: string | null) =>
    typeof a === "string" && b !== null && a.toLowerCase() === b.toLowerCase();
  if (recovered !== null && !sameAddress(candidate.signer, recovered)) {
    problems.push(`signed by ${recovered}, not the stated signer ${candidate.signer}`);
  }
  if (!sameAddress(candidate.report.auditor, recovered)) {
    problems.push(
      `the report names auditor ${String(candidate.report.auditor)}, signed by ${recovered}`,
    );
  }
  if (expectedAuditor !== undefined && !sameAddress(expectedAuditor, recovered)) {
    problems.push(`expected auditor ${expectedAuditor}, signed by ${recovered}`);
  }
  return { ok: problems.length === 0, recovered, problems };
}
