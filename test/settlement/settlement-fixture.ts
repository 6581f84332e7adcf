import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { type Job, Queue, type Worker } from "bullmq";
import type { Redis } from "ioredis";
import type { Kysely } from "kysely";
import { createRedisConnection } from "../../queues/connection.ts";
import { queueNames } from "../../queues/names.ts";
import { settleJobId, startSettleWorker } from "../../queues/settle-worker.ts";
import { termsHashOf } from "../../services/market/agreements/agreement-terms.ts";
import { createMarketRepositories } from "../../services/market/market-repositories.ts";
import type { SettlementDependencies } from "../../services/settlement/pipeline/settlement-dependencies.ts";
import type { NewHolder } from "../../services/store/repositories/holders-repository.ts";
import type { TaskRecord } from "../../services/store/repositories/tasks-repository.ts";
import type { Database } from "../../services/store/schema.ts";
import { newHolder } from "../store/fixtures.ts";
import { testRedisUrl, uniqueName } from "../support/environment.ts";

/** One selected holder of a seeded task: its agreed price and its score in each round. */
export interface SeededHolder {
  holder?: Partial<NewHolder>;
  price: bigint;
  scores: number[];
  /** A standing flag its scoring rounds carry (`attacker`, `free_rider`). */
  flag?: string;
}

/**
 * Takes a funded task through the market the way the real flow leaves it:
 * bidding → negotiating → agreed (both signatures on every agreement) →
 * training, with one stored round per score and the holders' contributions
 * (GTG-Shapley) in them. Returns the holder ids in the order given.
 */
export async function seedTrainedTask(
  db: Kysely<Database>,
  task: TaskRecord,
  holders: readonly SeededHolder[],
): Promise<string[]> {
  const repos = createMarketRepositories(db);
  const registered = [];
  for (const seeded of holders) {
    registered.push(await repos.holders.register(newHolder(seeded.holder)));
  }
  let current = await repos.tasks.get(task.id);
  if (current.status === "funded")
    current = await repos.tasks.transition(task.id, "funded", "bidding");
  await repos.tasks.transition(task.id, current.status, "negotiating");
  const proposals = registered.map((holder, i) => {
    const terms = {
      taskId: task.id,
      holderId: holder.id,
      price: holders[i]?.price.toString(),
      rail: task.rail,
      payoutRule: "base: the auction's threshold payment; bonus pool split by contribution",
    };
    return {
      taskId: task.id,
      holderId: holder.id,
      terms,
      termsHash: termsHashOf(terms),
      price: holders[i]?.price ?? 0n,
    };
  });
  await repos.agreementProposals.propose(proposals);
  for (const holder of registered) {
    await repos.agreementProposals.sign(task.id, holder.id, "owner", `0x${"11".repeat(65)}`);
    await repos.agreementProposals.sign(task.id, holder.id, "holder", `0x${"22".repeat(65)}`);
  }
  await repos.tasks.transition(task.id, "negotiating", "agreed");
  await repos.tasks.transition(task.id, "agreed", "training");
  const rounds = Math.max(...holders.map((h) => h.scores.length));
  for (let round = 0; round < rounds; round++) {
    await repos.rounds.open({
      taskId: task.id,
      round,
      globalModelHash: randomBytes(32).toString("hex"),
      strategy: "fedavg",
      minUpdates: 1,
      deadline: new Date(Date.now() + 60_000),
    });
    await repos.contributions.record(
      registered.flatMap((holder, i) => {
        const seeded = holders[i];
        const score = seeded?.scores[round];
        if (seeded === undefined || score === undefined) return [];
        return [
          {
            taskId: task.id,
            round,
            holderId: holder.id,
            method: "gtg-shapley",
            score,
            inputs: { seed: "fixture", ...(seeded.flag !== undefined && { flag: seeded.flag }) },
          },
        ];
      }),
    );
  }
  return registered.map((holder) => holder.id);
}

/** The settle queue and its worker on the shared Redis, under a prefix of their own. */
export interface SettleQueue {
  queue: Queue;
  worker: Worker;
  /** Enqueues the task's settle job as the round-closed consumer does. */
  enqueue(taskId: string, options?: { attempts?: number }): Promise<Job>;
  /** Waits until the task's job reaches one of `states`; returns the state reached. */
  waitFor(taskId: string, states: readonly string[], timeoutMs?: number): Promise<string>;
  close(): Promise<void>;
}

export async function startSettleQueue(
  settlement: SettlementDependencies,
  options: { maxWaitMs?: number } = {},
): Promise<SettleQueue> {
  const prefix = uniqueName("agora_test_settle");
  const producer: Redis = createRedisConnection({ url: testRedisUrl(), role: "worker" });
  const blocking: Redis = createRedisConnection({ url: testRedisUrl(), role: "worker" });
  const queue = new Queue(queueNames.settle, { connection: producer, prefix });
  const worker = startSettleWorker({
    connection: blocking,
    prefix,
    settlement,
    ...(options.maxWaitMs !== undefined && { maxWaitMs: options.maxWaitMs }),
  });
  // Failures are expected in crash tests and are asserted through the job's state.
  worker.on("error", () => {});
  return {
    queue,
    worker,
    enqueue: (taskId, jobOptions = {}) =>
      queue.add(
        "settle",
        { taskId },
        { jobId: settleJobId({ taskId }), attempts: jobOptions.attempts ?? 1, backoff: 0 },
      ),
    async waitFor(taskId, states, timeoutMs = 30_000) {
      const started = Date.now();
      for (;;) {
        const state = await queue.getJobState(settleJobId({ taskId }));
        if (states.includes(state)) return state;
        if (Date.now() - started > timeoutMs) {
          const job = await queue.getJob(settleJobId({ taskId }));
          assert.fail(`settle job of ${taskId} is ${state}, not ${states}: ${job?.failedReason}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    async close() {
      await worker.close();
      await queue.obliterate({ force: true });
      await queue.close();
      await producer.quit();
      await blocking.quit();
    },
  };
}

/** Every journal entry of a task, for counting that a retry booked nothing twice. */
export async function journalOf(db: Kysely<Database>, taskId: string) {
  return db
    .selectFrom("ledger_journal")
    .select(["kind", "reference"])
    .where("task_id", "=", taskId)
    .orderBy("reference")
    .execute();
}
