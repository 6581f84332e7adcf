import type { Kysely, Selectable } from "kysely";
import { jsonValue } from "../json-value.ts";
import type { AgentDecisionsTable, AgentName, Database } from "../schema.ts";

/** One decision an agent took: what was proposed, what the validators said, what was done and why. */
export interface AgentDecisionRecord {
  id: bigint;
  taskId: string | null;
  agent: AgentName;
  /** Whom the agent acts for: a holder id, or the owner's address. */
  party: string;
  /** What was decided, e.g. `bid`, `counter`, `respond`, `select`. */
  kind: string;
  /** `advisor` when the LLM's proposal was used, `policy` when the deterministic core decided. */
  source: "policy" | "advisor";
  /** `accepted`: the advisor's proposal passed; `rejected`: it failed and the policy took over; `fallback`: no usable proposal. */
  verdict: "accepted" | "rejected" | "fallback";
  proposal: Record<string, unknown> | null;
  decision: Record<string, unknown>;
  rationale: string;
  violations: string[];
  createdAt: Date;
}

export type NewAgentDecision = Omit<AgentDecisionRecord, "id" | "createdAt">;

const toRecord = (row: Selectable<AgentDecisionsTable>): AgentDecisionRecord => ({
  id: BigInt(row.id),
  taskId: row.task_id,
  agent: row.agent,
  party: row.party,
  kind: row.kind,
  source: row.source,
  verdict: row.verdict,
  proposal: row.proposal,
  decision: row.decision,
  rationale: row.rationale,
  violations: row.violations,
  createdAt: row.created_at,
});

export class AgentDecisionsRepository {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async record(decision: NewAgentDecision): Promise<AgentDecisionRecord> {
    const row = await this.#db
      .insertInto("agent_decisions")
      .values({
        task_id: decision.taskId,
        agent: decision.agent,
        party: decision.party,
        kind: decision.kind,
        source: decision.source,
        verdict: decision.verdict,
        proposal: decision.proposal === null ? null : jsonValue(decision.proposal),
        decision: jsonValue(decision.decision),
        rationale: decision.rationale,
        violations: jsonValue(decision.violations),
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toRecord(row);
  }

  /** Decisions in the order they were taken, optionally for one task, after a cursor. */
  async list(
    filter: { taskId?: string; agent?: AgentName; after?: bigint; limit?: number } = {},
  ): Promise<AgentDecisionRecord[]> {
    let query = this.#db.selectFrom("agent_decisions").selectAll();
    if (filter.taskId !== undefined) query = query.where("task_id", "=", filter.taskId);
    if (filter.agent !== undefined) query = query.where("agent", "=", filter.agent);
    if (filter.after !== undefined) query = query.where("id", ">", filter.after);
    const rows = await query
      .orderBy("id")
      .limit(filter.limit ?? 500)
      .execute();
    return rows.map(toRecord);
  }
}
