import { id } from "ethers";
import type { Kysely } from "kysely";
import { exactShapley } from "../../services/learning/contribution/exact-shapley.ts";
import {
  labelDistribution,
  totalVariation,
} from "../../services/market/mechanism/selection-bias.ts";
import { buildPayoutTree } from "../../services/settlement/merkle/payout-tree.ts";
import { planPayouts } from "../../services/settlement/payouts/payout-plan.ts";
import { AgreementProposalsRepository } from "../../services/store/repositories/agreement-proposals-repository.ts";
import { BidsRepository } from "../../services/store/repositories/bids-repository.ts";
import { ContributionsRepository } from "../../services/store/repositories/contributions-repository.ts";
import { HoldersRepository } from "../../services/store/repositories/holders-repository.ts";
import {
  type NewPayout,
  PayoutsRepository,
} from "../../services/store/repositories/payouts-repository.ts";
import { PrivacyChargesRepository } from "../../services/store/repositories/privacy-charges-repository.ts";
import { RoundsRepository } from "../../services/store/repositories/rounds-repository.ts";
import { TaskSelectionsRepository } from "../../services/store/repositories/task-selections-repository.ts";
import { TasksRepository } from "../../services/store/repositories/tasks-repository.ts";
import type { Database } from "../../services/store/schema.ts";
import type { EscrowWorld } from "../contracts/escrow-fixture.ts";
import { termsFor } from "../contracts/escrow-fixture.ts";

let counter = 0;
const labels = ["0", "1", "2", "3"];
const budget = 1_500_000_000n;
const basePrice = 100_000_000n;

/**
 * How much each holder's update is worth in a round: the last holder's update changes nothing
 * (a free rider: it trains and sends, but adds no accuracy).
 */
const worth = [0.12, 0.08, 0.05, 0];

/**
 * Validation accuracy of a coalition's model: diminishing returns (1 − Π(1 − w)), so the game is
 * not additive and Shapley values differ from the plain weights.
 */
function coalitionUtilities(round: number): Record<string, number> {
  const utilities: Record<string, number> = {};
  for (let mask = 0; mask < 1 << worth.length; mask++) {
    const members = worth.map((_, i) => i).filter((i) => mask & (1 << i));
    const gain =
      1 - members.reduce((product, i) => product * (1 - (worth[i] ?? 0) / (round + 1)), 1);
    utilities[members.join(",")] = 0.5 + 0.4 * gain;
  }
  return utilities;
}

export interface SettledTask {
  taskId: string;
  chainTaskId: bigint;
  holderIds: string[];
  root: string;
}

/** How the coordinator's table departs from the honest one, to exercise the auditor. */
export type Tampering = "none" | "free-rider-bonus";

/**
 * Seeds a settled task the way the market, the rounds and the settle pipeline leave one: holders,
 * selected bids and the selection summary, signed agreements, two rounds with every holder's
 * update, exact-Shapley contributions with the coalition utilities they came from, privacy
 * charges, the payout table, and its root committed on the world's escrow by the coordinator.
 */
export async function seedSettledTask(
  db: Kysely<Database>,
  world: EscrowWorld,
  tampering: Tampering = "none",
): Promise<SettledTask> {
  const tag = `${Date.now().toString(36)}-${counter++}`;
  const taskId = `task-audit-${tag}`;
  const tasks = new TasksRepository(db);
  await tasks.create({
    id: taskId,
    ownerAddress: world.addresses.owner,
    rail: "chain",
    currency: "USDC",
    budget,
    spec: { data: { labels }, privacy: { epsilon: 2, delta: 1e-5 } },
    deadline: new Date(Date.now() + 86_400_000),
  });
  const holderIds = world.holders.map((_, i) => `holder-${tag}-${i}`);
  const holders = new HoldersRepository(db);
  for (const [i, holderId] of holderIds.entries()) {
    await holders.register({
      id: holderId,
      address: `0x${(BigInt(id(holderId)) >> 96n).toString(16).padStart(40, "0")}`,
      payoutRail: "chain",
      payoutAccount: (world.holders[i] as string).toLowerCase(),
      dataSummary: {},
      hardware: {},
      privacyEpsilon: 8,
      privacyDelta: 1e-5,
      priceFloor: 1n,
    });
  }

  const bids = new BidsRepository(db);
  const coverage = holderIds.map((_, i) => ({
    [labels[i] as string]: 0.7,
    [labels[(i + 1) % labels.length] as string]: 0.3,
  }));
  for (const [i, holderId] of holderIds.entries()) {
    await bids.insert({
      id: `bid-${holderId}`,
      taskId,
      holderId,
      price: basePrice,
      samples: 600,
      labelCoverage: coverage[i] as Record<string, number>,
      throughput: 900,
      modelTier: 0,
      epsilonCost: 1,
      availableFrom: new Date(),
      availableUntil: new Date(Date.now() + 86_400_000),
      signerNonce: 0n,
      signature: "0x",
      digest: id(`digest-${holderId}`),
    });
  }
  await bids.setStatus(
    holderIds.map((holderId) => `bid-${holderId}`),
    "selected",
  );
  const population = Object.fromEntries(labels.map((label) => [label, 0.25]));
  const selected = labelDistribution(
    coverage.map((labelCoverage) => ({ samples: 600, labelCoverage })),
    labels,
  );
  const participation = Object.fromEntries(holderIds.map((holderId) => [holderId, 2]));
  await new TaskSelectionsRepository(db).save(taskId, {
    taskId,
    population,
    selected,
    labelTv: totalVariation(selected, population, labels),
    maxLabelTv: 0.1,
    participation,
    participationGini: 0,
  });

  const proposals = new AgreementProposalsRepository(db);
  await proposals.propose(
    holderIds.map((holderId) => ({
      taskId,
      holderId,
      terms: {
        taskId,
        holderId,
        price: basePrice.toString(),
        privacy: { epsilon: 2, delta: 1e-5 },
      },
      termsHash: id(`terms-${holderId}`),
      price: basePrice,
    })),
  );
  for (const holderId of holderIds) {
    await proposals.sign(taskId, holderId, "owner", "0xowner");
    await proposals.sign(taskId, holderId, "holder", "0xholder");
  }

  const rounds = new RoundsRepository(db);
  const contributions = new ContributionsRepository(db);
  for (const round of [0, 1]) {
    await rounds.open({
      taskId,
      round,
      globalModelHash: "a".repeat(64),
      strategy: "fedavg",
      minUpdates: 1,
      deadline: new Date(Date.now() + 3_600_000),
    });
    for (const holderId of holderIds) {
      await rounds.recordUpdate({
        taskId,
        round,
        holderId,
        blobHash: id(`${holderId}-${round}`).slice(2),
        samples: 600,
        loss: 0.5,
        trainMs: 10,
        backend: "cpu",
      });
    }
    const utilities = coalitionUtilities(round);
    const { values } = await exactShapley(holderIds.length, async (members) => {
      return utilities[members.join(",")] as number;
    });
    await contributions.record(
      holderIds.map((holderId, i) => ({
        taskId,
        round,
        holderId,
        method: "exact-shapley",
        score: values[i] as number,
        inputs: { participants: holderIds, utilities },
      })),
    );
    await rounds.close(taskId, round, {
      status: "aggregated",
      resultModelHash: "b".repeat(64),
      accuracy: 0.9,
      loss: 0.3,
    });
  }
  const charges = new PrivacyChargesRepository(db);
  for (const holderId of holderIds) {
    await charges.charge({ holderId, taskId, epsilon: 1.5, delta: 1e-5, mechanism: null });
  }

  // The settle pipeline: plan from the summed contributions, store, commit the root.
  const totals = await contributions.taskTotals(taskId, "exact-shapley");
  const plan = planPayouts({
    budget,
    participants: holderIds.map((holderId) => {
      const contribution = totals.get(holderId) ?? 0;
      return {
        holderId,
        basePrice,
        contribution,
        standing: contribution > 0 ? ("contributor" as const) : ("free_rider" as const),
      };
    }),
  });
  const lines = plan.lines.map((line) => ({ ...line }));
  if (tampering === "free-rider-bonus") {
    // Move part of the top contributor's bonus to the free rider.
    const [top, freeRider] = [lines[0], lines[3]];
    if (top === undefined || freeRider === undefined) throw new Error("unexpected plan");
    const moved = 50_000_000n;
    top.bonus -= moved;
    top.amount -= moved;
    freeRider.bonus += moved;
    freeRider.amount += moved;
  }
  const paid: NewPayout[] = lines
    .filter((line) => line.amount > 0n)
    .map((line, leafIndex) => ({
      taskId,
      holderId: line.holderId,
      leafIndex,
      rail: "chain",
      account: (world.holders[holderIds.indexOf(line.holderId)] as string).toLowerCase(),
      base: line.base,
      bonus: line.bonus,
      amount: line.amount,
    }));
  await new PayoutsRepository(db).savePlan(taskId, paid);
  const tree = buildPayoutTree(
    paid.map((line) => ({ account: line.account, amount: line.amount })),
  );
  const { taskId: chainTaskId } = await world.owner.createTask(await termsFor(world, { budget }));
  await world.coordinator.commitPayouts(chainTaskId, tree.root, tree.total, id(`report-${taskId}`));
  await tasks.transition(taskId, "draft", "settled", {
    chainTaskId: `0x${chainTaskId.toString(16).padStart(64, "0")}`,
  });
  return { taskId, chainTaskId, holderIds, root: tree.root };
}
