import type { AgentDecision, DecisionRecorder } from "../../../agents/decision-record.ts";
import { agentDecided } from "../../audit/audit-events.ts";
import type { AgentDecisionRecord } from "../../store/repositories/agent-decisions-repository.ts";
import type { MarketRepositories } from "../market-repositories.ts";

/**
 * Where the market's agents record their decisions: the decision row and its
 * `agent.decision` audit entry (proposal, verdict, rationale, violations)
 * commit together, so the log holds every decision an agent acted on.
 */
export function auditedDecisions(
  repos: MarketRepositories,
): DecisionRecorder & { record(decision: AgentDecision): Promise<AgentDecisionRecord> } {
  return {
    record: (decision) =>
      repos.transaction(async (trx) => {
        const recorded = await trx.agentDecisions.record(decision);
        await trx.audit.append(...agentDecided(recorded));
        return recorded;
      }),
  };
}
