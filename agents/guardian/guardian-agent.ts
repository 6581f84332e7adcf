import { z } from "zod";
import type { PrivacyLedger } from "../../services/market/privacy/privacy-ledger.ts";
import { decideWithAdvice, type Validator } from "../advised-decision.ts";
import type { Advisor } from "../advisor/advisor.ts";
import { type DecisionRecorder, jsonSafe } from "../decision-record.ts";
import { moneyString } from "../money-schema.ts";
import {
  availableFor,
  type BidDecision,
  type GuardianProfile,
  type OfferResponse,
  pickTier,
  planBid,
  respondToOffer,
  type TaskView,
} from "./guardian-policy.ts";

const offerResponseSchema = z.discriminatedUnion("action", [
  z.object({ action: z.literal("accept") }),
  z.object({ action: z.literal("reject"), reason: z.string().max(500) }),
  z.object({ action: z.literal("counter"), price: moneyString }),
]);

export interface GuardianOfferInput {
  task: TaskView;
  bidPrice: bigint;
  offer: bigint;
  move: number;
  maxMoves: number;
  now: Date;
}

/**
 * A holder's guardian: it bids for tasks and answers offers on the holder's
 * behalf, never against the holder's price floor, privacy budget (its DP
 * ledger across all tasks), hardware or availability. An advisor may propose;
 * the validators below have the last word.
 */
export class GuardianAgent {
  readonly #profile: GuardianProfile;
  readonly #ledger: PrivacyLedger;
  readonly #advisor: Advisor | undefined;
  readonly #recorder: DecisionRecorder;

  constructor(options: {
    profile: GuardianProfile;
    ledger: PrivacyLedger;
    recorder: DecisionRecorder;
    advisor?: Advisor | undefined;
  }) {
    this.#profile = options.profile;
    this.#ledger = options.ledger;
    this.#advisor = options.advisor;
    this.#recorder = options.recorder;
  }

  get profile(): GuardianProfile {
    return this.#profile;
  }

  /** What the task would take the holder's ledger to, and the checks that block any deal. */
  async #blockers(
    task: TaskView,
    now: Date,
  ): Promise<{ epsilonAfter: number; blockers: string[] }> {
    const epsilonAfter = await this.#ledger.spentWith(
      this.#profile.holderId,
      this.#profile.privacyDelta,
      {
        taskId: task.id,
        epsilon: task.spec.privacy.epsilon,
        delta: task.spec.privacy.delta,
      },
    );
    const blockers: string[] = [];
    if (epsilonAfter > this.#profile.privacyEpsilon) {
      blockers.push(
        `privacy budget: ε would reach ${epsilonAfter.toFixed(3)} > ${this.#profile.privacyEpsilon}`,
      );
    }
    if (pickTier(task.spec, this.#profile) === undefined)
      blockers.push("hardware: no model tier fits");
    if (!availableFor(task.spec, this.#profile, now))
      blockers.push("availability: window too short");
    return { epsilonAfter, blockers };
  }

  /** Decides whether to bid on a task (policy only: the bid is then signed by the holder's key). */
  async planBid(task: TaskView, now: Date): Promise<BidDecision> {
    const { epsilonAfter } = await this.#blockers(task, now);
    const { decision } = await decideWithAdvice<BidDecision>({
      meta: { taskId: task.id, agent: "guardian", party: this.#profile.holderId, kind: "bid" },
      policy: () => {
        const plan = planBid(task, this.#profile, epsilonAfter, now);
        return {
          decision: plan,
          rationale:
            plan.action === "bid"
              ? `bid the price floor at tier ${plan.modelTier}; ε after the task ${epsilonAfter.toFixed(3)} of ${this.#profile.privacyEpsilon}`
              : `decline: ${plan.reasons.join("; ")}`,
        };
      },
      validators: [],
      recorder: this.#recorder,
    });
    return decision;
  }

  /** Answers the orchestrator's offer: accept, reject, or counter. */
  async respond(input: GuardianOfferInput): Promise<OfferResponse> {
    const { epsilonAfter, blockers } = await this.#blockers(input.task, input.now);
    const floor = this.#profile.priceFloor;
    const validators: Validator<OfferResponse>[] = [
      (response) =>
        response.action === "accept" && input.offer < floor
          ? [`accepting ${input.offer} would go below the price floor ${floor}`]
          : [],
      (response) =>
        response.action === "counter" && (response.price < floor || response.price > input.bidPrice)
          ? [
              `counter ${response.price} must lie between the floor ${floor} and the signed bid ${input.bidPrice}`,
            ]
          : [],
      (response) =>
        response.action !== "reject" && blockers.length > 0
          ? [`cannot deal while blocked: ${blockers.join("; ")}`]
          : [],
      (response) =>
        response.action === "counter" && input.move + 1 >= input.maxMoves
          ? ["no counter is allowed on the last move"]
          : [],
    ];
    const { decision } = await decideWithAdvice<OfferResponse>({
      meta: {
        taskId: input.task.id,
        agent: "guardian",
        party: this.#profile.holderId,
        kind: "respond",
      },
      policy: () => {
        const response = respondToOffer({
          offer: input.offer,
          bidPrice: input.bidPrice,
          priceFloor: floor,
          move: input.move,
          maxMoves: input.maxMoves,
          blockers,
        });
        return { decision: response, rationale: describeResponse(response, input.offer, floor) };
      },
      advisor: this.#advisor,
      advice: {
        instructions:
          "You are the guardian agent of a data holder in a federated-learning marketplace. " +
          "Decide how to answer the orchestrator's price offer for training on a task: " +
          'accept ({"action":"accept"}), reject ({"action":"reject","reason":"..."}) or counter ' +
          '({"action":"counter","price":"<minor units as a decimal string>"}). Protect the holder: ' +
          "never go below its price floor or beyond its privacy budget.",
        context: jsonSafe({
          taskId: input.task.id,
          offer: input.offer,
          signedBidPrice: input.bidPrice,
          priceFloor: floor,
          move: input.move,
          maxMoves: input.maxMoves,
          epsilonAfterTask: epsilonAfter,
          privacyBudget: this.#profile.privacyEpsilon,
          blockers,
        }),
        schema: offerResponseSchema,
      },
      validators,
      recorder: this.#recorder,
    });
    return decision;
  }
}

function describeResponse(response: OfferResponse, offer: bigint, floor: bigint): string {
  switch (response.action) {
    case "accept":
      return `offer ${offer} is at or above the floor ${floor}`;
    case "reject":
      return response.reason;
    case "counter":
      return `offer ${offer} is below the floor ${floor}; counter at ${response.price}`;
  }
}
