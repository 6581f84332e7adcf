import { getJson } from "./api.js";
import { el, formatTime, muted, renderPage, section, short, table, taskLink } from "./dom.js";

function verificationSection(verification) {
  const verdict = verification.ok
    ? el(
        "p",
        { class: "verdict ok", id: "chain-verdict" },
        `Hash chain verified: ${verification.entries} entries, no problems.`,
      )
    : el(
        "p",
        { class: "verdict broken", id: "chain-verdict" },
        `Hash chain BROKEN: ${verification.problems.length} problem(s) in ${verification.entries} entries.`,
      );
  return section(
    "Audit log integrity",
    verdict,
    el(
      "dl",
      { class: "facts" },
      el("dt", {}, "Head hash"),
      el("dd", {}, verification.head === null ? "— (empty log)" : short(verification.head, 16)),
      el("dt", {}, "Checked"),
      el("dd", {}, formatTime(verification.checkedAt)),
    ),
    verification.problems.length === 0
      ? null
      : table(
          ["Entry", "Problem", "Detail"],
          verification.problems.map((problem) => [problem.seq, problem.problem, problem.detail]),
          { id: "chain-problems", class: "wrap" },
        ),
  );
}

function entriesSection(recent) {
  return section(
    "Latest entries",
    recent.length === 0
      ? muted("The audit log is empty.")
      : table(
          ["#", "When", "Kind", "Actor", "Task", "Hash"],
          recent.map((entry) => ({
            attributes: { "data-seq": entry.seq },
            cells: [
              entry.seq,
              formatTime(entry.occurredAt),
              entry.kind,
              short(entry.actor),
              entry.taskId === null ? "—" : taskLink(entry.taskId),
              short(entry.hash),
            ],
          })),
          { id: "audit-entries" },
        ),
    muted("Entry payloads are not shown publicly; auditors read them through the API."),
  );
}

function signatureLine(check) {
  if (check === null) return null;
  return check.valid
    ? el("p", { class: "verdict ok" }, "Signature and report hash verified.")
    : el(
        "p",
        { class: "verdict broken" },
        `Signature or hash does not hold: ${check.problems.join("; ")}`,
      );
}

function reportsSection(reports) {
  if (!reports.available) {
    return section("Audit reports", muted("No audit reports have been published yet."));
  }
  if (reports.reports.length === 0) {
    return section("Audit reports", muted("The reports folder is empty."));
  }
  return section(
    "Audit reports",
    el(
      "div",
      { id: "audit-reports" },
      reports.reports.map((report) =>
        el(
          "article",
          { class: "report", "data-report": report.name },
          el("h3", {}, report.taskId === null ? report.name : taskLink(report.taskId)),
          muted(`${report.name} · ${formatTime(report.modifiedAt)} · ${report.bytes} bytes`),
          report.problem === null ? null : el("p", { class: "error" }, report.problem),
          signatureLine(report.signatureCheck),
          el(
            "dl",
            { class: "facts" },
            Object.entries(report.summary)
              .filter(([, value]) => value !== null)
              .map(([key, value]) => [el("dt", {}, key), el("dd", {}, String(value))]),
          ),
        ),
      ),
    ),
  );
}

renderPage(async () => {
  const view = await getJson("/dashboard/api/audit");
  return {
    title: "Audit",
    nodes: [
      el("h1", {}, "Audit"),
      el(
        "div",
        { class: "grid" },
        verificationSection(view.verification),
        reportsSection(view.reports),
      ),
      entriesSection(view.recent),
    ],
  };
});
