import type { Kysely } from "kysely";
import { SettlementRunsRepository } from "../../store/repositories/settlement-runs-repository.ts";
import { TasksRepository } from "../../store/repositories/tasks-repository.ts";
import type { Database } from "../../store/schema.ts";
import { bookChainEvents } from "./chain-bookkeeping.ts";
import { chainTaskIdIn } from "./chain-context.ts";
import type { ChainSettlement } from "./settlement-dependencies.ts";

export interface LateClaimsPass {
  /** Settled chain tasks that still had unclaimed payouts when the pass began. */
  tasks: number;
  /** Claims booked by this pass (already-booked ones are not counted). */
  claimsBooked: number;
}

/**
 * Books claims made after their task settled. Holders claim from the escrow
 * whenever they like, often after the settle job's last bookkeeping step,
 * so without this the ledger and the payout table would show them unpaid
 * for good. Each pass reads the escrow events of every settled chain task
 * with a payout still `committed` (a leaf nobody has booked as claimed).
 *
 * A booker remembers, per task, the last block it read, so a payout left
 * unclaimed for months costs one short `eth_getLogs` range a pass rather
 * than a scan from the escrow's deployment. A new booker (a restart) reads
 * each task once from the start. Entries are keyed by the event, so
 * overlapping passes, or a pass racing the settle job, post each claim once.
 */
export class LateClaimsBooker {
  readonly #db: Kysely<Database>;
  readonly #chain: ChainSettlement;
  /** Task id → the last block read for it. */
  readonly #readUpTo = new Map<string, number>();

  constructor(db: Kysely<Database>, chain: ChainSettlement) {
    this.#db = db;
    this.#chain = chain;
  }

  async pass(): Promise<LateClaimsPass> {
    const open = await this.#db
      .selectFrom("payouts")
      .innerJoin("tasks", "tasks.id", "payouts.task_id")
      .select("payouts.task_id")
      .distinct()
      .where("payouts.rail", "=", "chain")
      .where("payouts.status", "=", "committed")
      .where("tasks.status", "=", "settled")
      .orderBy("payouts.task_id")
      .execute();
    const openIds = new Set(open.map((row) => row.task_id));
    for (const taskId of this.#readUpTo.keys())
      if (!openIds.has(taskId)) this.#readUpTo.delete(taskId);

    const tasks = new TasksRepository(this.#db);
    const runs = new SettlementRunsRepository(this.#db);
    const newest = await this.#chain.provider.getBlockNumber();
    let claimsBooked = 0;
    for (const taskId of openIds) {
      const run = await runs.find(taskId);
      if (run === undefined) continue;
      const last = this.#readUpTo.get(taskId);
      const fromBlock = last === undefined ? (this.#chain.fromBlock ?? 0) : last + 1;
      if (fromBlock > newest) continue;
      const unclaimed = await this.#countUnclaimed(taskId);
      const task = await tasks.get(taskId);
      await bookChainEvents(this.#db, this.#chain, task, chainTaskIdIn(run.state), {
        fromBlock,
        toBlock: newest,
      });
      this.#readUpTo.set(taskId, newest);
      claimsBooked += unclaimed - (await this.#countUnclaimed(taskId));
    }
    return { tasks: openIds.size, claimsBooked };
  }

  async #countUnclaimed(taskId: string): Promise<number> {
    const row = await this.#db
      .selectFrom("payouts")
      .select((eb) => eb.fn.countAll<number>().as("count"))
      .where("task_id", "=", taskId)
      .where("rail", "=", "chain")
      .where("status", "=", "committed")
      .executeTakeFirstOrThrow();
    return Number(row.count);
  }
}
