import { keccak256, toUtf8Bytes } from "ethers";
import type { TaskRecord } from "../../store/repositories/tasks-repository.ts";
import type { MarketRepositories } from "../market-repositories.ts";
import type { AuctionWinner } from "../mechanism/budget-feasible-auction.ts";
import type { TaskSpec } from "../task-spec.ts";

/** JSON with object keys sorted at every level, so equal terms hash equally. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.keys(value)
      .sort()
      .map(
        (key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`,
      );
    return `{${entries.join(",")}}`;
  }
  return JSON.stringify(value);
}

/** The EIP-712 `termsHash`: keccak-256 of the canonical JSON of the terms. */
export const termsHashOf = (terms: Record<string, unknown>): string =>
  keccak256(toUtf8Bytes(canonicalJson(terms)));

/** The terms each winner and the owner sign: price, rounds, tier, privacy and payout rule. */
export function agreementTerms(
  task: TaskRecord,
  spec: TaskSpec,
  winner: AuctionWinner,
  modelTier: number,
  roundsInvited: number,
): Record<string, unknown> {
  return {
    taskId: task.id,
    holderId: winner.holderId,
    bidId: winner.bidId,
    currency: task.currency,
    rail: task.rail,
    price: winner.payment.toString(),
    rounds: spec.rounds,
    roundsInvited,
    modelTier,
    privacy: { epsilon: spec.privacy.epsilon, delta: spec.privacy.delta },
    payoutRule:
      "base: the auction's threshold payment; bonus pool split by contribution (Shapley-based)",
    deadline: task.deadline.toISOString(),
  };
}

export async function proposeAgreements(
  repos: MarketRepositories,
  task: TaskRecord,
  spec: TaskSpec,
  winners: readonly AuctionWinner[],
  participation: Readonly<Record<string, number>>,
): Promise<void> {
  const bids = new Map(
    (await repos.bids.listForTask(task.id, "selected")).map((bid) => [bid.id, bid]),
  );
  await repos.agreementProposals.propose(
    winners.map((winner) => {
      const terms = agreementTerms(
        task,
        spec,
        winner,
        bids.get(winner.bidId)?.modelTier ?? 0,
        participation[winner.holderId] ?? 0,
      );
      return {
        taskId: task.id,
        holderId: winner.holderId,
        terms,
        termsHash: termsHashOf(terms),
        price: winner.payment,
      };
    }),
  );
}
