import type { Dirent } from "node:fs";
import { readdir, readFile, stat } from "node:fs/promises";
import { join, relative, sep } from "node:path";
import { verifyReport } from "../../../audit/report/signed-report.ts";

/** Reports the audit page lists, newest first. */
const maxReports = 20;
/** A report bigger than this is listed but not parsed: the page shows a summary, not a dump. */
const maxReportBytes = 1024 * 1024;
const maxSummaryFields = 12;
const maxTextLength = 200;

export type ReportSummaryValue = string | number | boolean | null;

export interface AuditReportListing {
  /** Path below the reports folder; the server's own paths are not shown. */
  name: string;
  modifiedAt: string;
  bytes: number;
  /** The task the report is about, when it says. */
  taskId: string | null;
  /** Verdict, auditor, checks and the like; for an unknown format, its top-level plain fields. */
  summary: Record<string, ReportSummaryValue>;
  /** For a signed audit report: whether hash and signature hold. Null for other files. */
  signatureCheck: { valid: boolean; problems: string[] } | null;
  /** Why the report could not be summarised, when it could not. */
  problem: string | null;
}

const isMissing = (error: unknown) =>
  (error as NodeJS.ErrnoException | undefined)?.code === "ENOENT" ||
  (error as NodeJS.ErrnoException | undefined)?.code === "ENOTDIR";

const text = (value: unknown) => (typeof value === "string" ? value.slice(0, maxTextLength) : null);

/** Top-level plain fields of a JSON document whose shape we do not know. */
function plainFields(document: Record<string, unknown>): Record<string, ReportSummaryValue> {
  const summary: Record<string, ReportSummaryValue> = {};
  for (const [key, value] of Object.entries(document)) {
    if (Object.keys(summary).length >= maxSummaryFields) break;
    if (typeof value === "string") summary[key] = value.slice(0, maxTextLength);
    else if (typeof value === "number" || typeof value === "boolean" || value === null)
      summary[key] = value;
  }
  return summary;
}

/** "4 pass, 1 warn": how a signed report's checks came out. */
function checkCounts(checks: unknown): string | null {
  if (!Array.isArray(checks)) return null;
  const counts = new Map<string, number>();
  for (const check of checks) {
    const status = text((check as { status?: unknown } | null)?.status) ?? "unknown";
    counts.set(status, (counts.get(status) ?? 0) + 1);
  }
  return [...counts].map(([status, count]) => `${count} ${status}`).join(", ");
}

/**
 * Signed audit reports (`agora.audit-report/1` inside a signature envelope)
 * are summarised by verdict, auditor and checks, and their hash and
 * signature are verified as any reader would. Anything else in the folder
 * is shown by its top-level plain fields, without assuming a schema.
 */
function summarise(
  document: unknown,
): Pick<AuditReportListing, "taskId" | "summary" | "signatureCheck"> {
  if (document === null || typeof document !== "object" || Array.isArray(document)) {
    return { taskId: null, summary: {}, signatureCheck: null };
  }
  const envelope = document as Record<string, unknown>;
  const report = envelope.report as Record<string, unknown> | null | undefined;
  if (typeof envelope.reportHash !== "string" || report === null || typeof report !== "object") {
    return { taskId: text(envelope.taskId), summary: plainFields(envelope), signatureCheck: null };
  }
  const verification = verifyReport(document);
  const reasons = Array.isArray(report.reasons) ? report.reasons.map(String) : [];
  return {
    taskId: text(report.taskId),
    summary: {
      verdict: text(report.verdict),
      taskId: text(report.taskId),
      auditor: text(report.auditor),
      generatedAt: text(report.generatedAt),
      method: text(report.method),
      checks: checkCounts(report.checks),
      reasons: reasons.length === 0 ? null : reasons.join("; ").slice(0, maxTextLength),
      reportHash: text(envelope.reportHash),
    },
    signatureCheck: { valid: verification.ok, problems: verification.problems },
  };
}

async function readReport(
  path: string,
  bytes: number,
): Promise<Omit<AuditReportListing, "name" | "modifiedAt" | "bytes">> {
  const unread = { taskId: null, summary: {}, signatureCheck: null };
  if (bytes > maxReportBytes) {
    return { ...unread, problem: `larger than ${maxReportBytes} bytes; not summarised` };
  }
  try {
    return { ...summarise(JSON.parse(await readFile(path, "utf8"))), problem: null };
  } catch (error) {
    // A file someone is writing by hand may be half there; say so and move on.
    return {
      ...unread,
      problem: error instanceof SyntaxError ? "not valid JSON (yet)" : "unreadable",
    };
  }
}

/**
 * The newest audit reports, or `available: false` when no reports folder
 * exists. Auditors write them as `<AGORA_DATA_DIR>/reports/<task>/<hash>.json`
 * (with an HTML twin, not listed here).
 */
export async function latestAuditReports(dataDir: string) {
  const folder = join(dataDir, "reports");
  let entries: Dirent[];
  try {
    entries = await readdir(folder, { withFileTypes: true, recursive: true });
  } catch (error) {
    if (isMissing(error)) return { available: false, reports: [] as AuditReportListing[] };
    throw error;
  }
  const files = await Promise.all(
    entries
      .filter((entry) => entry.isFile() && entry.name.endsWith(".json"))
      .map(async (entry) => {
        const path = join(entry.parentPath, entry.name);
        const info = await stat(path).catch(() => undefined);
        return info === undefined ? undefined : { path, info };
      }),
  );
  const newest = files
    .filter((file) => file !== undefined)
    .sort((a, b) => b.info.mtimeMs - a.info.mtimeMs || a.path.localeCompare(b.path))
    .slice(0, maxReports);
  const reports = await Promise.all(
    newest.map(
      async ({ path, info }): Promise<AuditReportListing> => ({
        name: relative(folder, path).split(sep).join("/"),
        modifiedAt: info.mtime.toISOString(),
        bytes: info.size,
        ...(await readReport(path, info.size)),
      }),
    ),
  );
  return { available: true, reports };
}
