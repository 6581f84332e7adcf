import { randomBytes } from "node:crypto";
import { Wallet } from "ethers";
import type { Kysely } from "kysely";
import { AuditLog } from "../../services/audit/audit-log.ts";
import { termsHashOf } from "../../services/market/agreements/agreement-terms.ts";
import { createMarketRepositories } from "../../services/market/market-repositories.ts";
import { taskSpecSchema } from "../../services/market/task-spec.ts";
import { fundingEntry, payoutEntry } from "../../services/settlement/ledger/accounts.ts";
import { planPayouts } from "../../services/settlement/payouts/payout-plan.ts";
import { SandboxRail } from "../../services/settlement/rails/sandbox-rail.ts";
import type { HolderRecord } from "../../services/store/repositories/holders-repository.ts";
import type { PayoutRecord } from "../../services/store/repositories/payouts-repository.ts";
import type { TaskRecord } from "../../services/store/repositories/tasks-repository.ts";
import type { Database, Rail, TaskStatus } from "../../services/store/schema.ts";

/** One seeded holder and what the seed made it do, for the test to check the pages against. */
export interface SeededHolder {
  record: HolderRecord;
  tier: number;
  backend: string;
  epsilon: number;
  contribution: number;
  payout: PayoutRecord;
}

export interface SeededMarket {
  task: TaskRecord;
  accuracies: number[];
  holders: SeededHolder[];
  /** A second, DAI-denominated task that paid the chain holder an amount no float can hold. */
  daiTask: TaskRecord;
  daiPayout: bigint;
  daiEpsilon: number;
  draft: TaskRecord;
  auditEntries: number;
}

const hex = (bytes: number) => `0x${randomBytes(bytes).toString("hex")}`;
/** Content hashes (model blobs) are stored as bare sha-256 hex. */
const contentHash = () => randomBytes(32).toString("hex");
const fakeSignature = () => hex(65);

const lifecycle: TaskStatus[] = [
  "funded",
  "bidding",
  "negotiating",
  "agreed",
  "training",
  "settling",
  "settled",
];

async function walkTo(
  repos: ReturnType<typeof createMarketRepositories>,
  task: TaskRecord,
  target: TaskStatus,
): Promise<TaskRecord> {
  let current = task;
  for (const next of lifecycle.slice(lifecycle.indexOf(current.status) + 1)) {
    current = await repos.tasks.transition(current.id, current.status, next);
    if (next === target) break;
  }
  return current;
}

const holderPlans: { name: string; rail: Rail; tier: number; backend: string; epsilon: number }[] =
  [
    { name: "chain", rail: "chain", tier: 2, backend: "webgpu", epsilon: 1.25 },
    { name: "stripe", rail: "stripe", tier: 1, backend: "wasm", epsilon: 0.8 },
    { name: "sandbox-a", rail: "sandbox", tier: 3, backend: "wasm", epsilon: 2 },
    { name: "sandbox-b", rail: "sandbox", tier: 0, backend: "cpu", epsilon: 3.5 },
  ];

/** Per-round GTG-Shapley-like scores: the tier-3 holder contributes most, the tier-0 one least. */
const roundScores = [
  [0.031, 0.022, 0.048, 0.009],
  [0.027, 0.019, 0.041, 0.006],
  [0.018, 0.012, 0.029, 0.004],
  [0.011, 0.008, 0.017, 0.002],
  [0.006, 0.004, 0.009, 0.001],
];
const accuracies = [0.4125, 0.6583, 0.7817, 0.8461, 0.8734];

/**
 * A settled federated task as the real components leave it: Stripe funding
 * booked in the ledger, sandbox payouts through the sandbox rail, a Stripe
 * transfer and an on-chain claim booked in the ledger, five aggregated rounds with updates and
 * contributions, a payout table planned from those contributions, privacy
 * charges, and a hash-chained audit trail.
 */
export async function seedSettledMarket(db: Kysely<Database>): Promise<SeededMarket> {
  const repos = createMarketRepositories(db);
  const audit = new AuditLog(db);
  const owner = Wallet.createRandom().address.toLowerCase();
  const now = Date.now();
  let auditEntries = 0;
  const record = async (kind: string, actor: string, taskId: string | null, payload: object) => {
    await audit.append({ kind, actor, taskId, payload: payload as Record<string, unknown> });
    auditEntries += 1;
  };

  const holders: HolderRecord[] = [];
  for (const plan of holderPlans) {
    const address = Wallet.createRandom().address;
    holders.push(
      await repos.holders.register({
        id: `holder-${plan.name}-${randomBytes(3).toString("hex")}`,
        address,
        payoutRail: plan.rail,
        payoutAccount:
          plan.rail === "chain"
            ? address
            : plan.rail === "stripe"
              ? `acct_${randomBytes(8).toString("hex")}`
              : `sandbox-${plan.name}`,
        dataSummary: { samples: 2_000, labels: { "0": 1_000, "1": 1_000 }, dpNoised: false },
        hardware: { device: plan.backend, samplesPerSecond: { "0": 900 }, memoryMb: 8_192 },
        privacyEpsilon: 8,
        privacyDelta: 1e-5,
        priceFloor: 50_000n,
      }),
    );
  }

  const spec = taskSpecSchema.parse({
    model: { name: "mnist-2nn federated", minTier: 0, maxTier: 3 },
    data: { labels: ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"], minSamples: 500 },
    rounds: accuracies.length,
    holdersPerRound: holderPlans.length,
    minHolders: 2,
    roundDeadlineS: 600,
    privacy: { epsilon: 4, delta: 1e-5 },
  });
  let task = await repos.tasks.create({
    id: `task-dashboard-${randomBytes(4).toString("hex")}`,
    ownerAddress: owner,
    rail: "stripe",
    currency: "USD",
    budget: 5_000_000n,
    spec: spec as unknown as Record<string, unknown>,
    deadline: new Date(now + 7 * 86_400_000),
  });
  await record("task.posted", owner, task.id, { budget: task.budget.toString() });
  // Funded by card, as the verified payment_intent.succeeded webhook books it.
  const paymentIntent = `pi_${randomBytes(8).toString("hex")}`;
  await repos.ledger.post(
    fundingEntry({
      rail: "stripe",
      taskId: task.id,
      currency: task.currency,
      amount: task.budget,
      reference: paymentIntent,
    }),
  );
  task = await repos.tasks.transition(task.id, "draft", "funded");
  await record("task.funded", "system", task.id, { rail: "stripe", paymentIntent });
  task = await walkTo(repos, task, "agreed");

  const prices = [900_000n, 600_000n, 1_150_000n, 250_000n];
  await repos.agreementProposals.propose(
    holders.map((holder, index) => {
      const terms = {
        taskId: task.id,
        holderId: holder.id,
        currency: task.currency,
        rail: task.rail,
        price: String(prices[index]),
        rounds: spec.rounds,
        modelTier: holderPlans[index]?.tier,
        privacy: spec.privacy,
      };
      return {
        taskId: task.id,
        holderId: holder.id,
        terms,
        termsHash: termsHashOf(terms),
        price: prices[index] ?? 0n,
      };
    }),
  );
  for (const holder of holders) {
    await repos.agreementProposals.sign(task.id, holder.id, "owner", fakeSignature());
    await repos.agreementProposals.sign(task.id, holder.id, "holder", fakeSignature());
    await record("agreement.signed", holder.address.toLowerCase(), task.id, {
      holderId: holder.id,
    });
  }

  task = await walkTo(repos, task, "training");
  for (const [index, accuracy] of accuracies.entries()) {
    const round = index + 1;
    await repos.rounds.open({
      taskId: task.id,
      round,
      globalModelHash: contentHash(),
      strategy: "fedavg",
      minUpdates: 2,
      deadline: new Date(now + 3_600_000),
    });
    for (const [holderIndex, holder] of holders.entries()) {
      await repos.rounds.recordUpdate({
        taskId: task.id,
        round,
        holderId: holder.id,
        blobHash: contentHash(),
        samples: 2_000,
        loss: 1.2 - accuracy + holderIndex * 0.01,
        trainMs: 1_500 + holderIndex * 250,
        backend: holderPlans[holderIndex]?.backend ?? "cpu",
      });
    }
    await repos.rounds.close(task.id, round, {
      status: "aggregated",
      resultModelHash: contentHash(),
      accuracy,
      loss: 1.1 - accuracy,
    });
    await repos.contributions.record(
      holders.map((holder, holderIndex) => ({
        taskId: task.id,
        round,
        holderId: holder.id,
        method: "gtg-shapley",
        score: roundScores[index]?.[holderIndex] ?? 0,
        inputs: { seed: 7, permutations: 64 },
      })),
    );
    await record("round.closed", "orchestrator", task.id, { round, accuracy });
  }

  task = await walkTo(repos, task, "settling");
  const totals = await repos.contributions.taskTotals(task.id, "gtg-shapley");
  const plan = planPayouts({
    budget: task.budget,
    bonusPool: 1_500_001n,
    participants: holders.map((holder, index) => ({
      holderId: holder.id,
      basePrice: prices[index] ?? 0n,
      contribution: totals.get(holder.id) ?? 0,
      standing: "contributor",
    })),
  });
  await repos.payouts.savePlan(
    task.id,
    plan.lines.map((line, index) => {
      const holder = holders[index] as HolderRecord;
      return {
        taskId: task.id,
        holderId: line.holderId,
        leafIndex: index,
        rail: holder.payoutRail,
        account: holder.payoutAccount,
        base: line.base,
        bonus: line.bonus,
        amount: line.amount,
      };
    }),
  );
  await record("payouts.committed", "system", task.id, { total: plan.total.toString() });
  const payouts = await repos.payouts.listForTask(task.id);
  await new SandboxRail(db).payOut(task, payouts);
  for (const payout of payouts) {
    if (payout.rail === "sandbox") continue;
    const reference = payout.rail === "stripe" ? `tr_${randomBytes(8).toString("hex")}` : hex(32);
    await repos.ledger.post(
      payoutEntry({
        rail: payout.rail,
        taskId: task.id,
        holderId: payout.holderId,
        currency: task.currency,
        amount: payout.amount,
        reference,
        payoutId: payout.id,
      }),
    );
    await repos.payouts.markSent(payout.id, reference);
    if (payout.rail === "chain") await repos.payouts.setStatus(payout.id, "claimed");
  }
  for (const [index, holder] of holders.entries()) {
    await repos.privacyCharges.charge({
      holderId: holder.id,
      taskId: task.id,
      epsilon: holderPlans[index]?.epsilon ?? 0,
      delta: 1e-5,
      mechanism: null,
    });
  }
  task = await walkTo(repos, task, "settled");
  await record("task.settled", "system", task.id, { paid: plan.total.toString() });

  // A second task, in DAI (18 decimals), paid to the chain holder on chain.
  const chainHolder = holders[0] as HolderRecord;
  const daiPayout = 123_456_789_012_345_678_901n;
  const daiEpsilon = 0.5;
  let daiTask = await repos.tasks.create({
    id: `task-dashboard-dai-${randomBytes(4).toString("hex")}`,
    ownerAddress: owner,
    rail: "chain",
    currency: "DAI",
    budget: 200n * 10n ** 18n,
    spec: { ...spec, model: { ...spec.model, name: "cifar-cnn" } } as unknown as Record<
      string,
      unknown
    >,
    deadline: new Date(now + 7 * 86_400_000),
  });
  daiTask = await walkTo(repos, daiTask, "settled");
  await repos.payouts.savePlan(daiTask.id, [
    {
      taskId: daiTask.id,
      holderId: chainHolder.id,
      leafIndex: 0,
      rail: "chain",
      account: chainHolder.payoutAccount,
      base: 100n * 10n ** 18n,
      bonus: daiPayout - 100n * 10n ** 18n,
      amount: daiPayout,
    },
  ]);
  const [daiLine] = await repos.payouts.listForTask(daiTask.id);
  await repos.payouts.markSent(daiLine?.id ?? "", hex(32));
  await repos.payouts.setStatus(daiLine?.id ?? "", "claimed");
  await repos.privacyCharges.charge({
    holderId: chainHolder.id,
    taskId: daiTask.id,
    epsilon: daiEpsilon,
    delta: 1e-5,
    mechanism: null,
  });

  const draft = await repos.tasks.create({
    id: `task-dashboard-draft-${randomBytes(4).toString("hex")}`,
    ownerAddress: owner,
    rail: "sandbox",
    currency: "USD",
    budget: 10_000n,
    spec: { ...spec, model: { ...spec.model, name: "unfunded draft" } } as unknown as Record<
      string,
      unknown
    >,
    deadline: new Date(now + 86_400_000),
  });

  const finalPayouts = await repos.payouts.listForTask(task.id);
  return {
    task,
    accuracies,
    holders: holders.map((holder, index) => ({
      record: holder,
      tier: holderPlans[index]?.tier ?? 0,
      backend: holderPlans[index]?.backend ?? "cpu",
      epsilon: holderPlans[index]?.epsilon ?? 0,
      contribution: totals.get(holder.id) ?? 0,
      payout: finalPayouts.find((payout) => payout.holderId === holder.id) as PayoutRecord,
    })),
    daiTask,
    daiPayout,
    daiEpsilon,
    draft,
    auditEntries,
  };
}
