/**
 * `./dev demo`: the whole marketplace in one process, on embedded defaults.
 *
 * The in-process Hardhat chain with the stablecoin, escrow and audit anchor
 * deployed and served over JSON-RPC; the API (PGlite, the local Redis under a
 * prefix of its own) with its coordinator; 20 holders, each with its own
 * train worker on its own queue (in this one process: training takes turns
 * on the CPU, and each holder's device speed is simulated by a delay). An
 * owner posts and funds a task on chain, guardians bid, the orchestrator
 * negotiates and selects, everyone signs, the rounds run, the coordinator
 * commits the payout root, the auditor recomputes and attests, holders claim,
 * and the summary is checked against the chain's events and the dashboard.
 *
 *   ./dev demo [--keep] [--port N]
 *
 * `--keep` leaves the API (and dashboard) running until Ctrl-C. Exit 1 when
 * the summary disagrees with the chain or the dashboard, or a stage fails.
 */
import { parseArgs } from "node:util";
import { EscrowClient } from "../services/settlement/chain/escrow-client.ts";
import { TransactionSender } from "../services/settlement/chain/transaction-sender.ts";
import { demoCast } from "./demo/cast.ts";
import { checkConsistency } from "./demo/consistency.ts";
import { ensureContractsBuilt } from "./demo/contracts-build.ts";
import { type DemoApi, startDemoApi } from "./demo/demo-api.ts";
import { type DemoChain, startDemoChain } from "./demo/demo-chain.ts";
import { DemoData } from "./demo/holder-data.ts";
import { type DemoHolder, guardianBid, registerHolder, signOwnAgreement } from "./demo/holders.ts";
import { DemoOwner } from "./demo/owner.ts";
import { DemoProgress } from "./demo/progress.ts";
import { gatherReport, money } from "./demo/report-data.ts";
import { scenario } from "./demo/scenario.ts";
import { watchScoring } from "./demo/scoring-watch.ts";
import {
  claimChainPayouts,
  finishSettlement,
  runAuditor,
  waitForAnchor,
  waitForCommit,
} from "./demo/settlement.ts";
import { outcomeTable, roundsTable, selectionTable, totalsLine } from "./demo/summary.ts";
import { watchTraining } from "./demo/training-watch.ts";

const { values: args } = parseArgs({
  options: { keep: { type: "boolean", default: false }, port: { type: "string" } },
});
const port = args.port === undefined ? undefined : Number(args.port);
if (port !== undefined && !(Number.isInteger(port) && port >= 0 && port <= 65535)) {
  console.error(`--port must be an integer from 0 to 65535, got ${JSON.stringify(args.port)}`);
  process.exit(2);
}

const progress = new DemoProgress();
let chain: DemoChain | undefined;
let api: DemoApi | undefined;
const holders: DemoHolder[] = [];
let stopping: Promise<void> | undefined;

/** Stops workers first (no job half-done against a closing API), then the API, then the chain. */
const stopAll = () => {
  stopping ??= (async () => {
    await Promise.allSettled(holders.map((holder) => holder.stopWorker()));
    await api?.close({ keepBlobs: false }).catch((error: unknown) => console.error(error));
    await chain?.close().catch((error: unknown) => console.error(error));
  })();
  return stopping;
};
/** Set once the demo has finished and `--keep` holds the API open: Ctrl-C then ends it normally. */
let kept: (() => void) | undefined;
process.once("SIGINT", () => {
  if (kept !== undefined) {
    kept();
    return;
  }
  progress.line("interrupted: stopping");
  void stopAll().then(() => process.exit(130));
});

let consistent = false;
try {
  progress.line("Agora demo: the whole marketplace on embedded defaults, in this one process");
  await progress.step("contracts", ensureContractsBuilt, (built) =>
    built ? "compiled with hardhat build" : "artifacts present",
  );
  chain = await progress.step(
    "chain",
    startDemoChain,
    (started) =>
      `in-process Hardhat chain ${started.chainId} at ${started.rpc.url}; escrow ${started.escrow}, stablecoin ${started.token}, audit anchor ${started.anchor}`,
  );
  const world = chain;
  const auditor = await world.account();
  api = await progress.step(
    "api",
    () =>
      startDemoApi(world, {
        auditor: auditor.address,
        validationSize: scenario.validationSize,
        ...(port !== undefined && { port }),
      }),
    (started) =>
      `${started.running.url.href} on ${started.running.deps.database.kind} (${started.config.AGORA_DATA_DIR}), Redis prefix ${started.config.AGORA_QUEUE_PREFIX}, rails ${started.running.deps.coordinator?.rails.join("+")}`,
  );
  const server = api;
  const cast = demoCast(scenario.holders);
  const data = await progress.step(
    "data",
    async () =>
      new DemoData({
        seed: server.config.AGORA_FL_DEMO_SEED,
        holders: cast.length,
        validationSize: scenario.validationSize,
      }),
    () =>
      `MNIST split among ${cast.length} holders, each with a majority digit; the owner keeps ${scenario.validationSize} validation examples`,
  );

  const registering = progress.bar("holders register", cast.length);
  for (const member of cast) {
    holders.push(await registerHolder(member, { api: server, chain: world, data }));
    registering.tick(member.label);
  }
  registering.done(
    `${holders.length} holders signed in (SIWE) and registered, each with its own train worker on its own queue, ` +
      "all in this process (training takes turns on the CPU; device speeds are simulated delays)",
  );

  const owner = await DemoOwner.create(server, world, scenario.ownerBalance);
  const task = await progress.step(
    "task posted",
    () =>
      owner.post(scenario.spec, scenario.budget, new Date(Date.now() + scenario.taskLifetimeMs)),
    (posted) =>
      `${posted.id}: ${scenario.spec.rounds} rounds of ${scenario.spec.model.name}, budget ${money(scenario.budget)} USDC on chain`,
  );
  const chainTaskId = await progress.step(
    "task funded",
    () =>
      owner.fund(task, {
        auditors: [auditor.address],
        threshold: scenario.threshold,
        challengeWindowS: scenario.challengeWindowS,
      }),
    (id) =>
      `owner approved and deposited ${money(scenario.budget)} into escrow task ${id}; the API confirmed it from chain state`,
  );

  const bidding = progress.bar("guardians bid", holders.length);
  const bids = [];
  for (const holder of holders) {
    const outcome = await guardianBid(holder, task.id);
    bids.push(outcome);
    bidding.tick(`${holder.member.label} ${outcome.action}`);
  }
  bidding.done(
    `${bids.filter((bid) => bid.action === "bid").length} EIP-712 signed bids, ${bids.filter((bid) => bid.action === "decline").length} declined`,
  );

  const selection = await progress.step(
    "negotiation",
    () => owner.negotiate(task.id),
    (outcome) =>
      `orchestrator selected ${outcome.winners.length} for ${money(BigInt(outcome.totalPayment))} of ${money(BigInt(outcome.budget))}; label TV ${outcome.labelTv.toFixed(3)} (bound ${outcome.maxLabelTv}), participation Gini ${outcome.participationGini.toFixed(3)}`,
  );
  if (process.env.AGORA_DEMO_DEBUG) console.log(JSON.stringify(selection, null, 1));
  if (!selection.enoughHolders) {
    throw new Error(
      `the auction selected ${selection.winners.length}, fewer than the task's ${scenario.spec.minHolders} ` +
        `(coverage ${selection.coverage}; ${selection.negotiationFailed.length} negotiations failed, ` +
        `${selection.ineligible.length} bids ineligible)`,
    );
  }
  const ownerBids = (
    await owner.client.get<{ bids: { id: string; holderId: string; status: string }[] }>(
      `/tasks/${encodeURIComponent(task.id)}/bids`,
    )
  ).bids;

  const signing = progress.bar("agreements", selection.winners.length * 2);
  const ownerSigned = await owner.signAgreements(task.id);
  signing.update(ownerSigned.length, "owner signed");
  for (const holder of holders.filter((entry) => ownerSigned.includes(entry.id))) {
    await signOwnAgreement(holder, task.id);
    signing.tick(holder.member.label);
  }
  signing.done(
    `owner and ${ownerSigned.length} winners signed (EIP-712); ε charged to each winner's privacy ledger`,
  );

  const training = await watchTraining({
    api: server,
    client: owner.client,
    holders,
    taskId: task.id,
    rounds: scenario.spec.rounds,
    progress,
    timeoutMs: scenario.spec.rounds * (scenario.spec.roundDeadlineS + 60) * 1000,
    start: async () => {
      await owner.start(task.id);
    },
  });

  const aggregated = training.rounds
    .filter((round) => round.status === "aggregated")
    .map((round) => round.round);
  const scoredBy = await watchScoring({
    api: server,
    taskId: task.id,
    rounds: aggregated,
    progress,
    timeoutMs: 300_000,
  });
  // For reads: every party reads the escrow; this sender never sends.
  const escrow = await EscrowClient.at(
    world.escrow,
    new TransactionSender(owner.wallet),
    world.provider,
  );
  await progress.step(
    "payouts committed",
    () => waitForCommit(owner.client, escrow, task.id, chainTaskId, 120_000),
    (onChain) =>
      `coordinator committed root ${onChain.payoutRoot.slice(0, 10)}… for ${money(onChain.committedTotal)} to the escrow`,
  );
  const audit = await progress.step(
    "audit",
    () => runAuditor({ api: server, chain: world, auditor, taskId: task.id, rounds: aggregated }),
    (outcome) =>
      `${outcome.signed.report.verdict} (rounds ${outcome.rebuilt.map((round) => round + 1).join(", ")} rebuilt from the stored updates, ` +
      `every round's Shapley arithmetic checked); on chain: ${outcome.chainAction.kind}`,
  );
  if (audit.signed.report.verdict !== "attest") {
    for (const reason of audit.signed.report.reasons) progress.line(`  audit: ${reason}`);
  }

  const claimable = (await escrow.getTask(chainTaskId)).claimable;
  const claiming = progress.bar("claims", holders.length);
  const claims = claimable
    ? await claimChainPayouts(world, holders, task.id, (claim) =>
        claiming.tick(`${money(claim.amount)}`),
      )
    : [];
  claiming.done(
    claimable
      ? `${claims.length} holders claimed ${money(claims.reduce((sum, claim) => sum + claim.amount, 0n))} from the escrow with their Merkle proofs`
      : "payouts not final (not attested): nothing claimed",
  );
  const settled = await progress.step(
    "settlement",
    () => finishSettlement(server, owner.client, task.id, 120_000, claimable),
    (table) => `task ${table.taskStatus}; settlement at ${table.settlement?.step ?? "-"}`,
  );
  const anchor = await progress.step(
    "audit log anchored",
    () => waitForAnchor(server, world, 15_000),
    (status) =>
      status.current
        ? `head ${status.head?.slice(0, 12)}… of ${status.entries} entries anchored in AgoraAuditAnchor`
        : `${status.entries} entries; newest anchor covers ${status.anchor?.entryCount ?? 0}`,
  );

  const report = await gatherReport({
    owner: owner.client,
    taskId: task.id,
    ownerBids,
    bids,
    selection,
    rounds: training.rounds,
    tally: training.tally,
  });
  const problems = await checkConsistency({
    api: server,
    chain: world,
    escrow,
    chainTaskId,
    report,
  });
  consistent = problems.length === 0 && settled.taskStatus === "settled";

  console.log("\nRounds (accuracy on the owner's validation set):\n");
  console.log(roundsTable(report));
  console.log(
    "\nSelection (orchestrator's budget-feasible auction; guardians bid their price floors):\n",
  );
  console.log(selectionTable(report));
  console.log(
    `\nContributions and payouts (${scoredBy} per round, summed; free riders and attackers forfeit):\n`,
  );
  console.log(outcomeTable(report));
  console.log(`\n${totalsLine(report, scenario.budget)}`);
  console.log(
    "fiat rail: the sandbox stands in for Stripe (ledger-only, no real money); aggregation: DP-FedAvg, " +
      "every update clipped to norm 1, so an attacker moves the model no more than an honest holder",
  );
  console.log(
    `\nDashboard: ${server.url(`/dashboard/tasks/${task.id}`)}${args.keep ? "" : " (live with --keep)"}`,
  );
  console.log(`Audit report: ${audit.files.json}\n              ${audit.files.html}`);
  console.log(
    `Audit log: ${anchor.entries} entries${anchor.current ? ", head anchored on chain" : ""}`,
  );
  if (consistent) {
    console.log("\nSummary vs chain (escrow Claimed events) and dashboard JSON: consistent");
  } else {
    console.log("\nSummary vs chain and dashboard: MISMATCH");
    for (const problem of problems) console.log(`  - ${problem}`);
    if (settled.taskStatus !== "settled") console.log(`  - the task ended ${settled.taskStatus}`);
  }
  console.log(`\nElapsed: ${(progress.elapsedMs() / 1000).toFixed(1)} s`);

  if (args.keep) {
    console.log("\nRunning; Ctrl-C stops it.");
    await new Promise<void>((resolve) => {
      kept = resolve;
    });
  }
} catch (error) {
  progress.line(`demo failed: ${error instanceof Error ? error.message : String(error)}`);
  if (error instanceof Error && error.stack) console.error(error.stack);
} finally {
  await stopAll();
  progress.line("stopped: workers, API, chain; this run's Redis keys removed");
}
process.exit(consistent ? 0 : 1);
