/** What every agent decision leaves behind, durable and readable by auditors. */
export interface AgentDecision {
  taskId: string | null;
  agent: "guardian" | "orchestrator" | "auditor";
  /** Whom the agent acts for: a holder id, or the owner's address. */
  party: string;
  /** What was decided, e.g. `bid`, `offer`, `respond`. */
  kind: string;
  source: "policy" | "advisor";
  /** `accepted`: the advisor's proposal was used; `rejected`: it broke a rule; `fallback`: no usable proposal. */
  verdict: "accepted" | "rejected" | "fallback";
  /** The advisor's proposal as it arrived (null without an advisor). */
  proposal: Record<string, unknown> | null;
  /** What the agent finally did. */
  decision: Record<string, unknown>;
  rationale: string;
  /** Rules the advisor's proposal broke, or why it was unusable. */
  violations: string[];
}

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
