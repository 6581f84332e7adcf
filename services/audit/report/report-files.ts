import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { AgoraError } from "../../errors/agora-error.ts";
import { canonicalJson } from "../canonical-json.ts";
import { renderReportHtml } from "./report-html.ts";
import type { SignedAuditReport } from "./signed-report.ts";

/** Where a report was written. */
export interface WrittenReport {
  json: string;
  html: string;
}

/** Task ids become folder names; anything but a conservative set of characters is replaced. */
const folderOf = (taskId: string) => taskId.replace(/[^A-Za-z0-9._-]/g, "_");

/** `<dataDir>/reports/<task>/`: one folder per task, one file pair per report, named by its hash. */
export const reportsFolder = (dataDir: string, taskId: string) =>
  join(dataDir, "reports", folderOf(taskId));

/**
 * Writes the signed report as canonical JSON and as a self-contained HTML page. Files are named by
 * the report hash and written through a temporary file, so a crash never leaves half a report and
 * writing the same report again changes nothing.
 */
export async function writeReport(
  dataDir: string,
  signed: SignedAuditReport,
): Promise<WrittenReport> {
  const folder = reportsFolder(dataDir, signed.report.taskId);
  await mkdir(folder, { recursive: true });
  const base = join(folder, signed.reportHash);
  const canonical = canonicalJson(signed);
  const json = `${base}.json`;
  const html = `${base}.html`;
  await atomicWrite(json, `${canonical}\n`);
  await atomicWrite(html, renderReportHtml(signed, canonicalJson(signed.report)));
  return { json, html };
}

/**
 * Reads a signed report file back (for `verifyReport`).
 *
 * @throws AgoraError `invalid` when the file is not JSON, `not_found` when it is missing.
 */
export async function readReport(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (cause) {
    throw new AgoraError("not_found", "Report file not found", { detail: file, cause });
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (cause) {
    throw new AgoraError("invalid", "Report file is not JSON", { detail: file, cause });
  }
}

async function atomicWrite(file: string, content: string): Promise<void> {
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, content);
  await rename(temporary, file);
}
