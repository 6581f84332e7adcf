import { formatTable } from "../../services/cli/output.ts";
import { type DemoReport, type HolderReport, money } from "./report-data.ts";

const percent = (value: number | undefined) =>
  value === undefined ? "-" : `${(value * 100).toFixed(1)}%`;

/** Round by round: accuracy on the owner's validation set, who made it in time and who did not. */
export function roundsTable(report: DemoReport): string {
  const labelOf = new Map(report.holders.map((row) => [row.holder.id, row.holder.member.label]));
  const labels = (ids: readonly string[]) =>
    ids
      .map((id) => labelOf.get(id) ?? id)
      .sort()
      .join(" ") || "-";
  return formatTable(report.rounds, [
    { header: "ROUND", value: (round) => String(round.round + 1) },
    { header: "STATUS", value: (round) => round.status },
    { header: "ACCURACY", value: (round) => percent(round.accuracy) },
    { header: "UPDATES", value: (round) => String(round.participants.length) },
    {
      header: "DROPPED (late or failed)",
      value: (round) => labels([...round.dropped, ...round.failed]),
    },
  ]);
}

/** Who bid what, and what the orchestrator (or the guardian) decided, with its reasons. */
export function selectionTable(report: DemoReport): string {
  return formatTable(report.holders, [
    { header: "HOLDER", value: (row) => row.holder.member.label },
    { header: "KIND", value: (row) => row.role },
    {
      header: "DEVICE",
      value: (row) => `${row.holder.member.device.name}${row.tier === null ? "" : ` t${row.tier}`}`,
    },
    { header: "ASK", value: (row) => (row.bidPrice === null ? "-" : money(row.bidPrice)) },
    { header: "OUTCOME", value: (row) => row.selection },
    { header: "WHY", value: (row) => row.reason },
  ]);
}

const payoutCell = (row: HolderReport) => {
  const line = row.payout;
  if (line === undefined) return "-";
  return `${money(BigInt(line.amount))} (${money(BigInt(line.base))} + ${money(BigInt(line.bonus))})`;
};

/** What each selected holder did and got: rounds, contribution, standing, payout, rail, ε. */
export function outcomeTable(report: DemoReport): string {
  const rows = report.holders.filter((row) => row.selection === "selected");
  return formatTable(rows, [
    { header: "HOLDER", value: (row) => row.holder.member.label },
    { header: "KIND", value: (row) => row.role },
    { header: "ON TIME/LATE", value: (row) => `${row.roundsOnTime}/${row.roundsLate}` },
    { header: "CONTRIBUTION", value: (row) => row.payout?.contribution?.toFixed(4) ?? "-" },
    { header: "STANDING", value: (row) => row.payout?.standing ?? "-" },
    { header: "PAYOUT = BASE + BONUS", value: payoutCell },
    {
      header: "RAIL",
      value: (row) => (row.payout === undefined ? "-" : `${row.payout.rail} ${row.payout.status}`),
    },
    { header: "ε SPENT", value: (row) => row.epsilonSpent.toFixed(2) },
  ]);
}

/** Totals of the payout table: what the budget bought and what went back to the owner. */
export function totalsLine(report: DemoReport, budget: bigint): string {
  const paid = report.payouts.payouts.reduce((sum, line) => sum + BigInt(line.amount), 0n);
  const byRail = new Map<string, bigint>();
  for (const line of report.payouts.payouts)
    byRail.set(line.rail, (byRail.get(line.rail) ?? 0n) + BigInt(line.amount));
  const rails = [...byRail.entries()]
    .map(([rail, amount]) => `${rail} ${money(amount)}`)
    .join(", ");
  return `paid ${money(paid)} of the ${money(budget)} ${report.payouts.currency} budget (${rails}); ${money(budget - paid)} returned to the owner`;
}
