import { z } from "zod";
import { decideWithAdvice, type Validator } from "../advised-decision.ts";
import type { Advisor } from "../advisor/advisor.ts";
import { type DecisionRecorder, jsonSafe } from "../decision-record.ts";
import { moneyString } from "../money-schema.ts";
import {
  type OrchestratorMove,
  type OrchestratorState,
  orchestratorMove,
} from "./orchestrator-policy.ts";

const proposalSchema = z.object({
  holderId: z.string().min(1).max(200),
  action: z.enum(["accept", "offer"]),
  price: moneyString,
});
type OrchestratorProposal = z.infer<typeof proposalSchema>;

export interface OrchestratorTurn extends OrchestratorState {
  bidId: string;
  holderId: string;
}

/**
 * The owner's orchestrator in negotiation. Its moves pass validators for the
 * budget (never above the reserve, the bid or the task budget), feasibility
 * (positive price, accept only what is on the table) and known parties (the
 * proposal must name the holder whose bid is being negotiated).
 */
export class OrchestratorAgent {
  readonly #taskId: string;
  readonly #owner: string;
  readonly #budget: bigint;
  readonly #knownHolders: ReadonlySet<string>;
  readonly #advisor: Advisor | undefined;
  readonly #recorder: DecisionRecorder;

  constructor(options: {
    taskId: string;
    ownerAddress: string;
    budget: bigint;
    knownHolders: Iterable<string>;
    recorder: DecisionRecorder;
    advisor?: Advisor | undefined;
  }) {
    this.#taskId = options.taskId;
    this.#owner = options.ownerAddress;
    this.#budget = options.budget;
    this.#knownHolders = new Set(options.knownHolders);
    this.#advisor = options.advisor;
    this.#recorder = options.recorder;
  }

  async move(turn: OrchestratorTurn): Promise<OrchestratorMove> {
    const standing = turn.counter ?? turn.bidPrice;
    const validators: Validator<OrchestratorProposal>[] = [
      (proposal) =>
        this.#knownHolders.has(proposal.holderId) ? [] : [`unknown holder ${proposal.holderId}`],
      (proposal) =>
        proposal.holderId === turn.holderId
          ? []
          : [`bid ${turn.bidId} belongs to ${turn.holderId}, not ${proposal.holderId}`],
      (proposal) => (proposal.price > 0n ? [] : ["price must be positive"]),
      (proposal) =>
        proposal.price > turn.reserve || proposal.price > this.#budget
          ? [
              `price ${proposal.price} exceeds the reserve ${turn.reserve} or the budget ${this.#budget}`,
            ]
          : [],
      (proposal) =>
        proposal.price > turn.bidPrice
          ? [`price ${proposal.price} exceeds the signed bid ${turn.bidPrice}`]
          : [],
      (proposal) =>
        proposal.action === "accept" && proposal.price !== standing
          ? [`can only accept the price on the table (${standing})`]
          : [],
    ];
    const { decision } = await decideWithAdvice<OrchestratorProposal>({
      meta: { taskId: this.#taskId, agent: "orchestrator", party: this.#owner, kind: "negotiate" },
      policy: () => {
        const move = orchestratorMove(turn);
        return {
          decision: { holderId: turn.holderId, ...move },
          rationale:
            move.action === "accept"
              ? `${standing} is within the reserve ${turn.reserve}`
              : `${standing} exceeds the reserve ${turn.reserve}; offer ${move.price}`,
        };
      },
      advisor: this.#advisor,
      advice: {
        instructions:
          "You are the orchestrator agent of a model owner buying federated-learning participation. " +
          'Propose your next move on one bid: {"holderId": "<the holder>", "action": "accept"|"offer", "price": "<minor units>"}. ' +
          "Stay within the reserve price and the budget.",
        context: jsonSafe({ taskId: this.#taskId, budget: this.#budget, ...turn }),
        schema: proposalSchema,
      },
      validators,
      recorder: this.#recorder,
    });
    return { action: decision.action, price: decision.price };
  }
}
