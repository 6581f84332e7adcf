import { jsonSafe } from "../../../agents/decision-record.ts";
import { GuardianAgent } from "../../../agents/guardian/guardian-agent.ts";
import type { GuardianProfile, TaskView } from "../../../agents/guardian/guardian-policy.ts";
import { OrchestratorAgent } from "../../../agents/orchestrator/orchestrator-agent.ts";
import type { BidRecord } from "../../store/repositories/bids-repository.ts";
import type { HolderRecord } from "../../store/repositories/holders-repository.ts";
import { proposeAgreements } from "../agreements/agreement-terms.ts";
import { dataSummarySchema, hardwareProfileSchema } from "../holder-profile.ts";
import type { MarketServices } from "../market-services.ts";
import { type AuctionBid, clearAuction, scoreBids } from "../mechanism/budget-feasible-auction.ts";
import { planRounds } from "../mechanism/round-planner.ts";
import { ownedTask, specOf } from "../tasks/post-task.ts";
import { recordedTransition } from "../tasks/recorded-transition.ts";
import { negotiate } from "./alternating-offers.ts";
import { auditedDecisions } from "./audited-decisions.ts";

/** The guardian's view of a registered holder; undefined when its stored profile is unusable. */
export function guardianProfile(holder: HolderRecord): GuardianProfile | undefined {
  const data = dataSummarySchema.safeParse(holder.dataSummary);
  const hardware = hardwareProfileSchema.safeParse(holder.hardware);
  if (!data.success || !hardware.success) return undefined;
  return {
    holderId: holder.id,
    priceFloor: holder.priceFloor,
    privacyEpsilon: holder.privacyEpsilon,
    privacyDelta: holder.privacyDelta,
    data: data.data,
    hardware: hardware.data,
  };
}

const toAuctionBid = (bid: BidRecord, price = bid.price): AuctionBid => ({
  id: bid.id,
  holderId: bid.holderId,
  price,
  samples: bid.samples,
  labelCoverage: bid.labelCoverage,
  throughput: bid.throughput,
  modelTier: bid.modelTier,
  epsilonCost: bid.epsilonCost,
  availableFrom: bid.availableFrom,
  availableUntil: bid.availableUntil,
});

/** Keeps each holder's latest open bid: one bid per holder is what the mechanism's guarantees assume. */
function latestPerHolder(bids: readonly BidRecord[]): {
  latest: BidRecord[];
  superseded: string[];
} {
  const byHolder = new Map<string, BidRecord>();
  const superseded: string[] = [];
  for (const bid of bids) {
    const previous = byHolder.get(bid.holderId);
    if (previous !== undefined) superseded.push(previous.id);
    byHolder.set(bid.holderId, bid);
  }
  return { latest: [...byHolder.values()], superseded };
}

/**
 * Step 3 of a task's life. Closes bidding, negotiates each eligible bid
 * (alternating offers between the owner's orchestrator and the holder's
 * guardian), clears the budget-feasible auction on the negotiated prices,
 * plans participation over the rounds, stores the selection and proposes
 * agreements to the winners. Every agent decision is recorded.
 */
export async function negotiateTask(
  market: MarketServices,
  taskId: string,
  caller: string,
  now = new Date(),
) {
  const { repos } = market;
  let task = await ownedTask(repos.tasks, taskId, caller);
  task = await recordedTransition(repos, task, "negotiating", caller);
  const decisions = auditedDecisions(repos);
  const spec = specOf(task);
  const view: TaskView = { id: task.id, spec, budget: task.budget };

  const { latest, superseded } = latestPerHolder(await repos.bids.listForTask(taskId, "open"));
  await repos.bids.setStatus(superseded, "withdrawn");
  const holders = new Map(
    (await Promise.all(latest.map((bid) => repos.holders.get(bid.holderId)))).map((holder) => [
      holder.id,
      holder,
    ]),
  );
  const { scored, ineligible } = scoreBids(
    latest.map((bid) => toAuctionBid(bid)),
    spec,
    task.budget,
    now,
  );
  const bidsById = new Map(latest.map((bid) => [bid.id, bid]));

  const orchestrator = new OrchestratorAgent({
    taskId,
    ownerAddress: task.ownerAddress,
    budget: task.budget,
    knownHolders: holders.keys(),
    recorder: decisions,
    advisor: market.advisor,
  });
  const deadline = Date.now() + spec.negotiation.timeoutMs;
  const maxMoves = spec.negotiation.maxRounds;
  const negotiated: AuctionBid[] = [];
  const failed: { bidId: string; reason: string }[] = [];
  for (const entry of scored) {
    const bid = bidsById.get(entry.bid.id) as BidRecord;
    const holder = holders.get(bid.holderId) as HolderRecord;
    const profile = guardianProfile(holder);
    if (profile === undefined) {
      failed.push({
        bidId: bid.id,
        reason: "holder profile is incomplete; its guardian cannot act",
      });
      continue;
    }
    const guardian = new GuardianAgent({
      profile,
      ledger: market.privacyLedger,
      recorder: decisions,
      advisor: market.advisor,
    });
    const result = await negotiate({
      bidPrice: bid.price,
      maxMoves,
      deadline,
      orchestrator: (move, counter) =>
        orchestrator.move({
          bidId: bid.id,
          holderId: bid.holderId,
          bidPrice: bid.price,
          reserve: entry.reserve,
          counter,
          move,
          maxMoves,
        }),
      guardian: (move, offer) =>
        guardian.respond({ task: view, bidPrice: bid.price, offer, move, maxMoves, now }),
    });
    await repos.negotiationOffers.append(
      result.moves.map((move) => ({ taskId, bidId: bid.id, ...move })),
    );
    if (result.outcome === "agreed" && result.price !== undefined) {
      negotiated.push(toAuctionBid(bid, result.price));
    } else {
      failed.push({ bidId: bid.id, reason: result.reason ?? "no agreement" });
    }
  }

  const outcome = clearAuction({ bids: negotiated, budget: task.budget, spec, now });
  const plan = planRounds({
    holders: outcome.winners.map((winner) => ({
      holderId: winner.holderId,
      utility: winner.utility,
    })),
    rounds: spec.rounds,
    holdersPerRound: spec.holdersPerRound,
    overSelection: spec.selection.overSelection,
    stalenessBonus: spec.selection.stalenessBonus,
  });
  const winnerIds = new Set(outcome.winners.map((winner) => winner.bidId));
  await repos.bids.setStatus([...winnerIds], "selected");
  await repos.bids.setStatus(
    negotiated.filter((bid) => !winnerIds.has(bid.id)).map((bid) => bid.id),
    "lost",
  );
  await repos.bids.setStatus(
    [...failed.map((entry) => entry.bidId), ...ineligible.map((entry) => entry.bidId)],
    "rejected",
  );

  const summary = jsonSafe({
    taskId,
    winners: outcome.winners,
    negotiationFailed: failed,
    ineligible,
    groups: outcome.groups,
    budget: outcome.budget,
    totalPayment: outcome.totalPayment,
    population: outcome.population,
    selected: outcome.selected,
    labelTv: outcome.labelTv,
    maxLabelTv: spec.coverage.maxLabelTv,
    coverageMet: outcome.coverageMet,
    coverage: outcome.coverage,
    enoughHolders: outcome.enoughHolders,
    rounds: plan.rounds,
    participation: plan.participation,
    participationGini: plan.participationGini,
    invitedPerRound: plan.invitedPerRound,
  });
  await repos.taskSelections.save(taskId, summary);
  await decisions.record({
    taskId,
    agent: "orchestrator",
    party: task.ownerAddress,
    kind: "select",
    source: "policy",
    verdict: "fallback",
    proposal: null,
    decision: jsonSafe({
      winners: outcome.winners.map((winner) => winner.holderId),
      totalPayment: outcome.totalPayment,
    }),
    rationale:
      `budget-feasible proportional-share auction over ${negotiated.length} negotiated bids: ` +
      `${outcome.winners.length} selected for ${outcome.totalPayment} of ${outcome.budget}; ` +
      `label TV ${outcome.labelTv.toFixed(4)} (bound ${spec.coverage.maxLabelTv}, coverage ${outcome.coverage}); ` +
      `participation Gini ${plan.participationGini.toFixed(4)}` +
      (outcome.enoughHolders ? "" : `; fewer than the ${spec.minHolders} holders required`),
    violations: [],
  });
  if (outcome.enoughHolders)
    await proposeAgreements(repos, task, spec, outcome.winners, plan.participation);
  return summary;
}
