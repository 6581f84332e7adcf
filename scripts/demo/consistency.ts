import { getAddress } from "ethers";
import type { EscrowClient } from "../../services/settlement/chain/escrow-client.ts";
import { readEscrowEvents } from "../../services/settlement/chain/event-reader.ts";
import type { DemoApi } from "./demo-api.ts";
import type { DemoChain } from "./demo-chain.ts";
import type { DemoReport } from "./report-data.ts";

/** The parts of GET /dashboard/api/tasks/:id the check reads. */
interface DashboardTask {
  task: { status: string; chainTaskId: string | null };
  rounds: { round: number; status: string; accuracy: number | null }[];
  participants: {
    holderId: string;
    contribution: number | null;
    payout: { rail: string; amount: { minor: string }; status: string } | null;
    privacy: { epsilon: number } | null;
  }[];
}

const close = (a: number | null | undefined, b: number | null | undefined) =>
  a === b || (typeof a === "number" && typeof b === "number" && Math.abs(a - b) <= 1e-9);

/**
 * Checks the summary against two independent sources: the escrow's own
 * `Claimed` events (every chain payout claimed exactly, the fiat payouts'
 * sum claimed once by the coordinator's off-ramp, nothing else paid, the
 * escrow's committed and claimed totals equal to the table's) and the public dashboard
 * JSON (task status, accuracy per round, each holder's contribution,
 * payout, rail, status and ε). Returns every mismatch; none means consistent.
 */
export async function checkConsistency(options: {
  api: DemoApi;
  chain: DemoChain;
  escrow: EscrowClient;
  chainTaskId: bigint;
  report: DemoReport;
}): Promise<string[]> {
  const { api, chain, escrow, chainTaskId, report } = options;
  const problems: string[] = [];

  // The chain: what the escrow says it paid.
  const claims = await readEscrowEvents(chain.provider, escrow, {
    fromBlock: chain.escrowFromBlock,
    taskId: chainTaskId,
    names: ["Claimed"],
  });
  const claimedOnChain = new Map<string, bigint>();
  for (const claim of claims) {
    const account = getAddress(String(claim.args.account));
    claimedOnChain.set(
      account,
      (claimedOnChain.get(account) ?? 0n) + (claim.args.amount as bigint),
    );
  }
  const paidLines = report.payouts.payouts.filter((line) => BigInt(line.amount) > 0n);
  const chainLines = paidLines.filter((line) => line.rail === "chain");
  const fiatLines = paidLines.filter((line) => line.rail !== "chain");
  for (const line of chainLines) {
    const account = getAddress(line.account);
    const claimed = claimedOnChain.get(account) ?? 0n;
    if (claimed !== BigInt(line.amount))
      problems.push(
        `chain: ${line.holderId} is owed ${line.amount}, the escrow paid ${account} ${claimed}`,
      );
    if (line.status !== "claimed")
      problems.push(`payouts: ${line.holderId}'s chain payout is ${line.status}, not claimed`);
    claimedOnChain.delete(account);
  }
  // Fiat-rail holders of a chain task are paid from one off-ramp leaf the coordinator claims.
  const fiatTotal = fiatLines.reduce((sum, line) => sum + BigInt(line.amount), 0n);
  if (fiatTotal > 0n) {
    const offRamp = getAddress(chain.coordinator.address);
    const claimed = claimedOnChain.get(offRamp) ?? 0n;
    if (claimed !== fiatTotal)
      problems.push(
        `chain: the fiat payouts sum to ${fiatTotal}, the coordinator's off-ramp claimed ${claimed}`,
      );
    claimedOnChain.delete(offRamp);
    for (const line of fiatLines)
      if (line.status !== "sent")
        problems.push(
          `payouts: ${line.holderId}'s ${line.rail} payout is ${line.status}, not sent`,
        );
  }
  for (const [account, amount] of claimedOnChain)
    problems.push(`chain: ${account} claimed ${amount} without a payout line`);
  const escrowTask = await escrow.getTask(chainTaskId);
  const claimedTotal = claims.reduce((sum, claim) => sum + (claim.args.amount as bigint), 0n);
  if (escrowTask.claimed !== claimedTotal)
    problems.push(
      `chain: escrow reports ${escrowTask.claimed} claimed, its events sum to ${claimedTotal}`,
    );
  const tableTotal = paidLines.reduce((sum, line) => sum + BigInt(line.amount), 0n);
  if (escrowTask.committedTotal !== tableTotal)
    problems.push(
      `chain: committed total ${escrowTask.committedTotal}, the payout table sums to ${tableTotal}`,
    );

  // The dashboard: what the public pages show.
  const response = await fetch(
    api.url(`/dashboard/api/tasks/${encodeURIComponent(report.taskId)}`),
  );
  if (!response.ok) return [...problems, `dashboard: GET answered ${response.status}`];
  const dashboard = (await response.json()) as DashboardTask;
  if (dashboard.task.status !== report.payouts.taskStatus)
    problems.push(
      `dashboard: task is ${dashboard.task.status}, the payout table says ${report.payouts.taskStatus}`,
    );
  if (dashboard.task.chainTaskId !== null && BigInt(dashboard.task.chainTaskId) !== chainTaskId)
    problems.push(
      `dashboard: escrow task ${dashboard.task.chainTaskId}, the chain has ${chainTaskId}`,
    );
  for (const round of report.rounds.filter((entry) => entry.status === "aggregated")) {
    const shown = dashboard.rounds.find((entry) => entry.round === round.round);
    if (shown === undefined) problems.push(`dashboard: round ${round.round} is missing`);
    else if (!close(shown.accuracy, round.accuracy ?? null))
      problems.push(
        `dashboard: round ${round.round} accuracy ${shown.accuracy}, the coordinator announced ${round.accuracy}`,
      );
  }
  for (const row of report.holders) {
    const shown = dashboard.participants.find((entry) => entry.holderId === row.holder.id);
    const line = row.payout;
    if (line === undefined) {
      if (shown?.payout)
        problems.push(`dashboard: ${row.holder.member.label} shows a payout the table lacks`);
      continue;
    }
    if (shown === undefined) {
      problems.push(`dashboard: ${row.holder.member.label} (${row.holder.id}) is not listed`);
      continue;
    }
    if (shown.payout?.amount.minor !== line.amount)
      problems.push(
        `dashboard: ${row.holder.member.label} paid ${shown.payout?.amount.minor}, the table says ${line.amount}`,
      );
    if (shown.payout?.rail !== line.rail || shown.payout?.status !== line.status)
      problems.push(
        `dashboard: ${row.holder.member.label} ${shown.payout?.rail}/${shown.payout?.status}, the table says ${line.rail}/${line.status}`,
      );
    // A holder never scored shows no contribution on the dashboard; the payout rule counts it as 0.
    if (!close(shown.contribution ?? 0, line.contribution ?? 0))
      problems.push(
        `dashboard: ${row.holder.member.label} contribution ${shown.contribution}, the table says ${line.contribution}`,
      );
    if (!close(shown.privacy?.epsilon ?? 0, row.epsilonSpent))
      problems.push(
        `dashboard: ${row.holder.member.label} ε ${shown.privacy?.epsilon}, its own ledger says ${row.epsilonSpent}`,
      );
  }
  return problems;
}
