import { AgoraError } from "../../errors/agora-error.ts";
import { transitionTask } from "../../market/task-state-machine.ts";
import { escrowTaskIdOf } from "../chain/escrow-task-terms.ts";
import { chainLeavesOf } from "../merkle/chain-leaves.ts";
import { buildPayoutTree } from "../merkle/payout-tree.ts";
import { bookChainEvents } from "./chain-bookkeeping.ts";
import { chainOf, chainTaskIdIn } from "./chain-context.ts";
import { offRampSteps } from "./off-ramp-steps.ts";
import type { ChainSettlement } from "./settlement-dependencies.ts";
import { done, type SettlementStep } from "./settlement-step.ts";

/** Chain time, not wall time: the escrow's windows are measured in block timestamps. */
async function chainNow(chain: ChainSettlement): Promise<number> {
  return (await chain.provider.getBlock("latest"))?.timestamp ?? 0;
}

/** Wall-clock moment at which chain time will have passed `timestamp`. */
async function retryAtChainTime(chain: ChainSettlement, timestamp: number): Promise<Date> {
  const seconds = Math.max(1, timestamp - (await chainNow(chain)) + 1);
  return new Date(Date.now() + seconds * 1_000);
}

/**
 * Settlement through the escrow: commit the Merkle root of the payout table
 * (≤ the deposit), wait until it is final (k-of-n attestations, or the
 * challenge window passed undisputed), claim the off-ramp leaf and pay the
 * fiat-rail holders out of it (see off-ramp-steps.ts), return the remainder
 * to the owner, and book the deposit, the claims and the return from the
 * escrow's events. Chain-rail holders claim themselves with the proofs the
 * API serves.
 */
export const chainSteps: readonly SettlementStep[] = [
  {
    name: "committed",
    async run({ deps, repos, task, state }) {
      const chain = chainOf(deps);
      const chainTaskId = await escrowTaskIdOf(chain.escrow, task);
      if (chainTaskId === 0n) {
        throw new AgoraError("conflict", "Task is not funded in the escrow", {
          detail: `No escrow task of owner ${task.ownerAddress} for ${task.id}.`,
        });
      }
      const payouts = await repos.payouts.listForTask(task.id);
      const facts = { chainTaskId: chainTaskId.toString(), escrow: chain.escrow.address };
      // The escrow task's coordinator is this process's account (the funding gate checked it):
      // it claims the off-ramp leaf and pays the fiat-rail holders.
      const escrowTask = await chain.escrow.getTask(chainTaskId);
      const { leaves, offRamp } = chainLeavesOf(payouts, escrowTask.coordinator);
      // Nothing to pay: no root is committed and the whole deposit returns after the deadline.
      if (leaves.length === 0) return done({ ...facts, committed: false, offRamp: null });
      const tree = buildPayoutTree(leaves);
      const deposit = escrowTask.deposit;
      if (tree.total > deposit) {
        throw new AgoraError("conflict", "Payouts exceed the escrow deposit", {
          detail: `Table total ${tree.total}, deposit ${deposit}.`,
        });
      }
      // Saved before the commit, so proofs can be served the moment the root is on chain.
      await repos.payoutTrees.save({
        taskId: task.id,
        root: tree.root,
        total: tree.total,
        dump: tree.dump() as unknown as Record<string, unknown>,
        escrow: chain.escrow.address,
        chainId: chain.chainId,
        chainTaskId,
      });
      const reportHash = state.reportHash;
      if (typeof reportHash !== "string") throw new AgoraError("internal", "No report hash");
      await chain.escrow.commitPayouts(chainTaskId, tree.root, tree.total, reportHash);
      for (const payout of payouts) {
        if (payout.rail === "chain" && payout.amount > 0n && payout.status === "planned") {
          await repos.payouts.setStatus(payout.id, "committed");
        }
      }
      return done({
        ...facts,
        committed: true,
        root: tree.root,
        offRamp:
          offRamp === null
            ? null
            : { index: offRamp.index, account: offRamp.account, amount: offRamp.amount.toString() },
      });
    },
  },
  {
    name: "final",
    async run({ deps, repos, task, state }) {
      const chain = chainOf(deps);
      const escrowTask = await chain.escrow.getTask(chainTaskIdIn(state));
      if (escrowTask.claimable || escrowTask.status === "refunded") return done();
      if (escrowTask.status === "disputed") {
        const current = await repos.tasks.get(task.id);
        if (current.status === "settling") await transitionTask(repos.tasks, current, "disputed");
        throw new AgoraError("conflict", "Payouts are disputed", {
          detail: `Task ${task.id} waits for the arbiter; settlement resumes after the ruling.`,
        });
      }
      if (escrowTask.status === "funded") {
        if ((await chainNow(chain)) > escrowTask.commitDeadline) return done();
        return {
          done: false,
          retryAt: await retryAtChainTime(chain, escrowTask.commitDeadline),
          reason: "nothing to commit; the deposit returns after the commit deadline",
        };
      }
      if (escrowTask.status !== "committed") {
        throw new AgoraError("conflict", "Escrow task cannot pay out", {
          detail: `Escrow task ${chainTaskIdIn(state)} is ${escrowTask.status}.`,
        });
      }
      return {
        done: false,
        retryAt: await retryAtChainTime(chain, escrowTask.challengeEndsAt),
        reason: `waiting for ${escrowTask.threshold} attestations or the challenge window`,
      };
    },
  },
  ...offRampSteps,
  {
    // Anyone may reclaim and the money always goes to the owner; the owner may
    // have done it already, which the escrow's state says.
    name: "reclaimed",
    async run({ deps, state }) {
      const chain = chainOf(deps);
      const chainTaskId = chainTaskIdIn(state);
      const escrowTask = await chain.escrow.getTask(chainTaskId);
      const owed = escrowTask.deposit - escrowTask.committedTotal;
      if (escrowTask.status !== "refunded" && !escrowTask.remainderReclaimed && owed > 0n) {
        await chain.escrow.reclaim(chainTaskId);
      }
      return done();
    },
  },
  {
    name: "booked",
    async run({ deps, task, state }) {
      const booked = await bookChainEvents(deps.db, chainOf(deps), task, chainTaskIdIn(state));
      return done({ chainBookkeeping: booked });
    },
  },
];
