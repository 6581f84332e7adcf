import type { z } from "zod";

/** What an agent asks its advisor: instructions, the facts, and the shape of the answer. */
export interface AdvisorRequest<T> {
  /** The agent's role and the decision to make, in plain words. */
  instructions: string;
  /** The facts the advisor may use (JSON-safe). */
  context: Record<string, unknown>;
  /** The proposal's schema; anything else is malformed. */
  schema: z.ZodType<T>;
}

export type AdvisorAnswer<T> =
  | { ok: true; proposal: T; rationale: string; raw: Record<string, unknown> }
  | { ok: false; error: string; raw: string | null };

/**
 * An optional adviser to an agent, e.g. an LLM. It only proposes: every
 * proposal goes through the agent's validators, and the deterministic policy
 * decides whenever a proposal is missing, malformed or breaks a rule.
 */
export interface Advisor {
  readonly name: string;
  propose<T>(request: AdvisorRequest<T>): Promise<AdvisorAnswer<T>>;
}
