import type { CheckResult } from "../auditor/audit-findings.ts";
import type { SignedAuditReport } from "./signed-report.ts";

const escapeHtml = (value: unknown): string =>
  String(value)
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;")
    .replaceAll("'", "&#39;");

const styles = `
body{font:15px/1.5 system-ui,sans-serif;margin:2rem auto;max-width:60rem;padding:0 1rem;color:#1d1d1f}
h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:2rem}
table{border-collapse:collapse;width:100%;margin:.5rem 0}
th,td{text-align:left;padding:.3rem .6rem;border-bottom:1px solid #ddd;vertical-align:top}
code,pre{font:13px ui-monospace,monospace;word-break:break-all;white-space:pre-wrap}
.verdict{display:inline-block;padding:.2rem .7rem;border-radius:1rem;font-weight:600}
.attest,.pass{background:#dff5e1;color:#1b5e20}.dispute,.fail{background:#fde2e1;color:#8e1b13}
.inconclusive,.warn,.skipped{background:#fff4d6;color:#6b4e00}
.status{padding:.1rem .5rem;border-radius:.6rem;font-size:.85rem}`;

/**
 * A self-contained HTML page of a signed report (no scripts, no external resources), for people.
 * The JSON file is the authoritative copy: the page embeds it verbatim so a reader can check that
 * what they see is what was signed.
 */
export function renderReportHtml(signed: SignedAuditReport, canonical: string): string {
  const { report } = signed;
  const chain = report.chain;
  const rows = (pairs: [string, unknown][]) =>
    pairs
      .map(
        ([label, value]) =>
          `<tr><th>${escapeHtml(label)}</th><td><code>${escapeHtml(value)}</code></td></tr>`,
      )
      .join("");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>Audit of ${escapeHtml(report.taskId)}: ${escapeHtml(report.verdict)}</title>
<style>${styles}</style></head><body>
<h1>Audit of task ${escapeHtml(report.taskId)} <span class="verdict ${escapeHtml(report.verdict)}">${escapeHtml(report.verdict)}</span></h1>
<table>${rows([
    ["auditor", report.auditor],
    ["generated", report.generatedAt],
    ["contribution method", report.method ?? "none"],
    ["report hash", signed.reportHash],
    ["signature (EIP-191 over the hash)", signed.signature],
  ])}</table>
${report.reasons.length === 0 ? "" : `<h2>Reasons</h2><ul>${report.reasons.map((reason) => `<li>${escapeHtml(reason)}</li>`).join("")}</ul>`}
<h2>On chain</h2>
${
  chain === null
    ? "<p>The task is not settled on chain, or its escrow could not be read.</p>"
    : `<table>${rows([
        ["chain id", chain.chainId],
        ["escrow", chain.escrow],
        ["escrow task", chain.chainTaskId],
        ["status", chain.status],
        ["committed root", chain.committedRoot],
        ["committed total", chain.committedTotal],
        ["commit number", chain.commitNumber],
      ])}</table>`
}
<h2>Checks</h2>
<table><tr><th>check</th><th>status</th><th>summary</th></tr>
${report.checks.map((check) => `<tr><td>${escapeHtml(check.check)}</td><td><span class="status ${escapeHtml(check.status)}">${escapeHtml(check.status)}</span></td><td>${escapeHtml(check.summary)}</td></tr>`).join("\n")}
</table>
${report.checks.map(renderFindings).join("\n")}
<h2>Signed JSON</h2>
<pre>${escapeHtml(canonical)}</pre>
</body></html>
`;
}

function renderFindings(check: CheckResult): string {
  if (check.findings.length === 0) return "";
  return `<h2>Findings: ${escapeHtml(check.check)}</h2>
<table><tr><th>severity</th><th>code</th><th>holder</th><th>finding</th></tr>
${check.findings.map((finding) => `<tr><td><span class="status ${escapeHtml(finding.severity)}">${escapeHtml(finding.severity)}</span></td><td><code>${escapeHtml(finding.code)}</code></td><td>${escapeHtml(finding.holderId ?? "")}</td><td>${escapeHtml(finding.message)}</td></tr>`).join("\n")}
</table>`;
}
