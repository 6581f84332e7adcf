import type { NewAgentDecision } from "../services/store/repositories/agent-decisions-repository.ts";

/**
 * What every agent decision leaves behind, durable and readable by auditors:
 * the row the store keeps, less its id and timestamp.
 */
export type AgentDecision = NewAgentDecision;

/** Where decisions go: the database in the service, an array in a unit test. */
export interface DecisionRecorder {
  record(decision: AgentDecision): Promise<unknown>;
}

/** Makes bigints (money) JSON-safe as decimal strings, for proposals and decisions. */
export function jsonSafe(value: unknown): Record<string, unknown> {
  return JSON.parse(
    JSON.stringify(value, (_key, inner: unknown) =>
      typeof inner === "bigint" ? inner.toString() : inner,
    ),
  ) as Record<string, unknown>;
}
