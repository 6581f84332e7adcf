import type { Kysely } from "kysely";
import { inTransaction } from "../../store/in-transaction.ts";
import type { TaskRecord } from "../../store/repositories/tasks-repository.ts";
import { createRepositories } from "../../store/repositories.ts";
import type { Database } from "../../store/schema.ts";
import { readEscrowEvents } from "../chain/event-reader.ts";
import { fundingEntry, payoutEntry, refundEntry } from "../ledger/accounts.ts";
import { offRampClaimEntry } from "../ledger/off-ramp-entries.ts";
import type { ChainSettlement } from "./settlement-dependencies.ts";

export interface ChainBookkeeping {
  claims: number;
  refunds: number;
  /** Claims of the coordinator's off-ramp leaf (fiat-rail holders' money), booked escrow → off-ramp. */
  offRamps: number;
  /** Claims of accounts the task's payout table does not have (after an arbiter's new table). */
  unexplained: string[];
}

/**
 * Books what the escrow did for a task, from its events: the deposit, each
 * holder's claim, the coordinator's claim of the off-ramp leaf (the money of
 * the fiat-rail holders), and money returned to the owner. Every entry's reference is
 * the event's own `transactionHash:logIndex` (the deposit's: its transaction
 * hash, as the funding gate books it), so reading the same events again posts
 * nothing new. Holders claim whenever they like, so this runs again later
 * (each settle run, the rail-event consumer) to book late claims.
 */
export async function bookChainEvents(
  db: Kysely<Database>,
  chain: ChainSettlement,
  task: TaskRecord,
  chainTaskId: bigint,
  /** Blocks to read; default from the escrow's first block to the newest. */
  blocks: { fromBlock?: number; toBlock?: number } = {},
): Promise<ChainBookkeeping> {
  const events = await readEscrowEvents(chain.provider, chain.escrow, {
    fromBlock: blocks.fromBlock ?? chain.fromBlock ?? 0,
    ...(blocks.toBlock !== undefined && { toBlock: blocks.toBlock }),
    taskId: chainTaskId,
    names: ["TaskCreated", "Claimed", "RemainderReclaimed", "TaskRefunded", "TaskCancelled"],
  });
  const payouts = await createRepositories(db).payouts.listForTask(task.id);
  const byAccount = new Map(
    payouts.filter((p) => p.rail === "chain").map((p) => [p.account.toLowerCase(), p]),
  );
  // The off-ramp leaf is paid to the escrow task's coordinator, never a holder. Read from the
  // chain only when a claim names an account no payout line has (most passes see none).
  let coordinator: string | undefined;
  const coordinatorOf = async () => {
    coordinator ??= (await chain.escrow.getTask(chainTaskId)).coordinator.toLowerCase();
    return coordinator;
  };
  const result: ChainBookkeeping = { claims: 0, refunds: 0, offRamps: 0, unexplained: [] };
  for (const event of events) {
    const reference = `${event.transactionHash}:${event.logIndex}`;
    await inTransaction(db, async (trx) => {
      const repos = createRepositories(trx);
      if (event.name === "TaskCreated") {
        await repos.ledger.post(
          fundingEntry({
            rail: "chain",
            taskId: task.id,
            currency: task.currency,
            amount: event.args.deposit as bigint,
            reference: event.transactionHash,
          }),
        );
      } else if (event.name === "Claimed") {
        const account = String(event.args.account).toLowerCase();
        const payout = byAccount.get(account);
        if (payout === undefined && account === (await coordinatorOf())) {
          await repos.ledger.post(
            offRampClaimEntry({
              taskId: task.id,
              currency: task.currency,
              amount: event.args.amount as bigint,
              reference,
            }),
          );
          result.offRamps += 1;
          return;
        }
        if (payout === undefined) {
          result.unexplained.push(`claim ${reference} by ${account}`);
          return;
        }
        await repos.ledger.post(
          payoutEntry({
            rail: "chain",
            taskId: task.id,
            holderId: payout.holderId,
            currency: task.currency,
            amount: event.args.amount as bigint,
            reference,
            payoutId: payout.id,
          }),
        );
        await repos.payouts.markClaimed(payout.id, event.transactionHash);
        result.claims += 1;
      } else {
        await repos.ledger.post(
          refundEntry({
            rail: "chain",
            taskId: task.id,
            owner: task.ownerAddress,
            currency: task.currency,
            amount: event.args.amount as bigint,
            reference,
          }),
        );
        result.refunds += 1;
      }
    });
  }
  return result;
}
