import type { z } from "zod";
import type { Advisor } from "./advisor/advisor.ts";
import type { AgentDecision, DecisionRecorder } from "./decision-record.ts";
import { jsonSafe } from "./decision-record.ts";

/** A rule every proposal must pass; returns the rules broken (empty when it passes). */
export type Validator<P> = (proposal: P) => string[];

export interface AdvisedDecisionInput<P> {
  meta: Pick<AgentDecision, "taskId" | "agent" | "party" | "kind">;
  /** The deterministic policy's decision and its reasons. */
  policy: () => { decision: P; rationale: string };
  advisor?: Advisor | undefined;
  /** What to ask the advisor; used only when there is an advisor. */
  advice?: { instructions: string; context: Record<string, unknown>; schema: z.ZodType<P> };
  validators: readonly Validator<P>[];
  recorder: DecisionRecorder;
}

export interface AdvisedDecision<P> {
  decision: P;
  source: "policy" | "advisor";
  verdict: AgentDecision["verdict"];
  rationale: string;
}

/**
 * One decision of an agent: the advisor proposes (if there is one), the
 * validators judge, and the policy core decides whenever the proposal is
 * absent, malformed or breaks a rule. Whatever happens is recorded with the
 * proposal, the verdict, the violations and the rationale.
 */
export async function decideWithAdvice<P>(
  input: AdvisedDecisionInput<P>,
): Promise<AdvisedDecision<P>> {
  const fallback = input.policy();
  let outcome: AdvisedDecision<P> = {
    decision: fallback.decision,
    source: "policy",
    verdict: "fallback",
    rationale: fallback.rationale,
  };
  let proposal: Record<string, unknown> | null = null;
  let violations: string[] = [];
  if (input.advisor !== undefined && input.advice !== undefined) {
    const answer = await input.advisor.propose(input.advice);
    if (!answer.ok) {
      violations = [answer.error];
      proposal = answer.raw === null ? null : { raw: answer.raw };
      outcome.rationale = `advisor unusable (${answer.error}); policy: ${fallback.rationale}`;
    } else {
      proposal = answer.raw;
      violations = input.validators.flatMap((validate) => validate(answer.proposal));
      outcome =
        violations.length === 0
          ? {
              decision: answer.proposal,
              source: "advisor",
              verdict: "accepted",
              rationale: answer.rationale,
            }
          : {
              ...outcome,
              verdict: "rejected",
              rationale: `advisor proposal rejected (${violations.join("; ")}); policy: ${fallback.rationale}`,
            };
    }
  }
  await input.recorder.record({
    ...input.meta,
    source: outcome.source,
    verdict: outcome.verdict,
    proposal,
    decision: jsonSafe(outcome.decision),
    rationale: outcome.rationale,
    violations,
  });
  return outcome;
}
