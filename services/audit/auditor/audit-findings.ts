/** The checks an audit runs, one file each. */
export type CheckName =
  | "contributions"
  | "payouts"
  | "privacy"
  | "selection-bias"
  | "fairness"
  | "free-riders";

/**
 * How bad a finding is. `fail` means the payouts must not be attested (the audit disputes them);
 * `warn` is published in the report but does not change the verdict.
 */
export type Severity = "warn" | "fail";

/** One thing an auditor found, with a stable code scripts can branch on. */
export interface Finding {
  severity: Severity;
  code: string;
  message: string;
  /** The holder the finding is about, when it is about one. */
  holderId?: string;
}

/**
 * A check's outcome. `skipped` means the check could not be run at all (nothing to check, or a
 * dependency it needs is missing); a skipped check makes the audit inconclusive, never a pass.
 */
export type CheckStatus = "pass" | "warn" | "fail" | "skipped";

export interface CheckResult {
  check: CheckName;
  status: CheckStatus;
  /** One line for a human. */
  summary: string;
  /** Figures the check computed (JSON-safe: numbers, strings, arrays, records). */
  metrics: Record<string, unknown>;
  findings: Finding[];
}

/** Builds a result whose status follows from its findings: any fail fails, any warn warns. */
export function checkResult(
  check: CheckName,
  summary: string,
  findings: readonly Finding[],
  metrics: Record<string, unknown> = {},
): CheckResult {
  const status: CheckStatus = findings.some((finding) => finding.severity === "fail")
    ? "fail"
    : findings.length > 0
      ? "warn"
      : "pass";
  return { check, status, summary, metrics, findings: [...findings] };
}

/** A check that could not run, and why. */
export function skippedCheck(check: CheckName, reason: string): CheckResult {
  return { check, status: "skipped", summary: reason, metrics: {}, findings: [] };
}
