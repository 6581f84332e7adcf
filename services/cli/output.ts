import type { ProblemDetails } from "./exit-codes.ts";

/** One column of a human-readable table. */
export interface Column<Row> {
  header: string;
  value(row: Row): string;
}

/** Left-aligned columns separated by two spaces; the last column is never padded, so long text wraps naturally. */
export function formatTable<Row>(rows: readonly Row[], columns: readonly Column<Row>[]): string {
  if (rows.length === 0) return "(none)";
  const cells = [
    columns.map((column) => column.header),
    ...rows.map((row) => columns.map((column) => oneLine(column.value(row)))),
  ];
  const widths = columns.map((_, index) =>
    Math.max(...cells.map((line) => (line[index] ?? "").length)),
  );
  return cells
    .map((line) =>
      line
        .map((cell, index) => (index === line.length - 1 ? cell : cell.padEnd(widths[index] ?? 0)))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

/** `label: value` lines with the labels aligned. */
export function formatFields(fields: Readonly<Record<string, string>>): string {
  const width = Math.max(...Object.keys(fields).map((label) => label.length));
  return Object.entries(fields)
    .map(([label, value]) => `${`${label}:`.padEnd(width + 1)} ${value}`)
    .join("\n");
}

/** Where results go: `--json` prints the API's data as it came (money stays decimal strings). */
export interface Printer {
  readonly json: boolean;
  /** Prints `data` as JSON, or as the text `human` makes of it. */
  result<T>(data: T, human: (data: T) => string): void;
}

export function createPrinter(
  json: boolean,
  stdout: NodeJS.WritableStream = process.stdout,
): Printer {
  return {
    json,
    result(data, human) {
      stdout.write(`${json ? JSON.stringify(data, null, 2) : human(data)}\n`);
    },
  };
}

/** A problem for a person: title, detail, then each rejected field by its JSON Pointer. */
export function formatProblem(problem: ProblemDetails): string {
  const lines = [`error: ${problem.title} (HTTP ${problem.status}${codeSuffix(problem)})`];
  if (problem.detail) lines.push(problem.detail);
  for (const issue of problem.errors ?? [])
    lines.push(`  ${issue.pointer || "/"}: ${issue.message}`);
  return lines.join("\n");
}

const codeSuffix = (problem: ProblemDetails): string =>
  problem.code === undefined ? "" : `, ${problem.code}`;

const oneLine = (text: string): string => text.replace(/\s*\n\s*/g, " ");

/** Shortens a 0x hash for tables; `--json` keeps it whole. */
export const shortHash = (hash: string): string =>
  hash.length > 14 ? `${hash.slice(0, 10)}…${hash.slice(-4)}` : hash;

export const yesNo = (value: unknown): string => (value === true ? "yes" : "no");
