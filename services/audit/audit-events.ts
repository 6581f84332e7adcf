import { createHash } from "node:crypto";
import type { AgentDecisionRecord } from "../store/repositories/agent-decisions-repository.ts";
import type { BidRecord } from "../store/repositories/bids-repository.ts";
import type { ContributionRecord } from "../store/repositories/contributions-repository.ts";
import type { PayoutRecord } from "../store/repositories/payouts-repository.ts";
import type { TaskRecord } from "../store/repositories/tasks-repository.ts";
import type { TaskStatus } from "../store/schema.ts";
import type { AppendOptions, AuditEventInput } from "./audit-log.ts";
import { canonicalJson } from "./canonical-json.ts";

/**
 * What each kind of audit entry says. Every payload carries what an auditor
 * needs to check the decision from the log alone (amounts, hashes, reasons),
 * and every builder returns the entry with the idempotency key of the fact
 * it records, so a producer that runs again (a retried job, a redelivered
 * webhook) records it once. Producers write `log.append(...taskPosted(task))`.
 */
type AuditRecord = [event: AuditEventInput, options: AppendOptions];

/** Who acts when no person does: the coordinator's workers and pipelines. */
export const coordinatorActor = "coordinator";

/** sha-256 of the canonical JSON of `value`: a short commitment to inputs too large to log. */
const contentDigest = (value: unknown): string =>
  createHash("sha256")
    .update(canonicalJson(plain(value)))
    .digest("hex");

/**
 * JSON as the database keeps it: bigints as decimal strings, dates as ISO
 * strings, non-finite numbers as null (canonical JSON refuses them, and a
 * NaN loss must not stop a round from being logged).
 */
function plain(value: unknown): Record<string, unknown> {
  return JSON.parse(
    JSON.stringify(value, (_key, inner: unknown) =>
      typeof inner === "bigint" ? inner.toString() : inner,
    ),
  ) as Record<string, unknown>;
}

const record = (
  kind: string,
  taskId: string | null,
  actor: string,
  payload: unknown,
  dedupeKey?: string,
): AuditRecord => [
  { kind, taskId, actor, payload: plain(payload) },
  dedupeKey === undefined ? {} : { dedupeKey },
];

/** `task.posted`: the owner's task as stored, spec and budget included. */
export const taskPosted = (task: TaskRecord): AuditRecord =>
  record(
    "task.posted",
    task.id,
    task.ownerAddress,
    {
      owner: task.ownerAddress,
      rail: task.rail,
      currency: task.currency,
      budget: task.budget,
      deadline: task.deadline,
      spec: task.spec,
      specDigest: contentDigest(task.spec),
    },
    `task-posted:${task.id}`,
  );

/**
 * `task.<new status>`, e.g. `task.funded`, `task.agreed`: one entry per
 * status change, keyed by the version the change produced (each change bumps
 * it), with whatever justified the change in `details`.
 */
export const taskStatusChanged = (
  from: TaskStatus,
  task: TaskRecord,
  actor: string,
  details: Record<string, unknown> = {},
): AuditRecord =>
  record(
    `task.${task.status}`,
    task.id,
    actor,
    { ...details, from, to: task.status, version: task.version },
    `task-status:${task.id}:${task.version}`,
  );

/**
 * `bids.received`: the bids of one task written by one group commit, each by
 * id, holder, price and the EIP-712 digest its signature covers (with the
 * signature's hash), so any bid later shown can be matched to what was signed.
 */
export function bidsReceived(taskId: string, bids: readonly BidRecord[]): AuditRecord {
  // No key: bids are logged in the transaction that writes them, which commits or rolls back
  // whole, and the lookup a key costs would be paid on the hottest write path.
  return record("bids.received", taskId, "market", {
    count: bids.length,
    bids: bids.map((bid) => ({
      id: bid.id,
      holderId: bid.holderId,
      price: bid.price,
      digest: bid.digest,
      signatureHash: createHash("sha256").update(bid.signature).digest("hex"),
    })),
  });
}

/** `agent.decision`: one agent decision as recorded, proposal, verdict and rationale included. */
export const agentDecided = (decision: AgentDecisionRecord): AuditRecord =>
  record(
    "agent.decision",
    decision.taskId,
    decision.agent,
    {
      decisionId: decision.id,
      agent: decision.agent,
      party: decision.party,
      decision: decision.kind,
      source: decision.source,
      verdict: decision.verdict,
      proposal: decision.proposal,
      outcome: decision.decision,
      rationale: decision.rationale,
      violations: decision.violations,
    },
    `agent-decision:${decision.id}`,
  );

/** `agreement.signed`: one party's verified EIP-712 signature of a holder's agreement. */
export function agreementSigned(signed: {
  taskId: string;
  holderId: string;
  party: "owner" | "holder";
  signer: string;
  termsHash: string;
  terms: Record<string, unknown>;
  price: bigint;
  signature: string;
  complete: boolean;
}): AuditRecord {
  const signatureHash = createHash("sha256").update(signed.signature).digest("hex");
  return record(
    "agreement.signed",
    signed.taskId,
    signed.signer.toLowerCase(),
    {
      holderId: signed.holderId,
      party: signed.party,
      termsHash: signed.termsHash,
      terms: signed.terms,
      price: signed.price,
      signatureHash,
      complete: signed.complete,
    },
    `agreement-signed:${signed.taskId}:${signed.holderId}:${signed.party}:${signatureHash}`,
  );
}

/** What `round.closed` commits to: who took part with which update, and what came out. */
interface ClosedRoundFacts {
  taskId: string;
  round: number;
  status: "aggregated" | "failed";
  startingModelHash: string;
  modelHash?: string | undefined;
  accuracy?: number | undefined;
  loss?: number | undefined;
  participants: readonly string[];
  dropped: readonly string[];
  failures: readonly { holderId: string; reason: string }[];
  updates: readonly { holderId: string; updateHash: string; samples: number; loss: number }[];
  closedAt: number;
}

/** `round.closed`: a closed round's participants, their update hashes, the aggregate and its accuracy. */
export const roundClosed = (round: ClosedRoundFacts): AuditRecord =>
  record(
    "round.closed",
    round.taskId,
    coordinatorActor,
    { ...round, closedAt: new Date(round.closedAt) },
    `round-closed:${round.taskId}:${round.round}`,
  );

/**
 * `contributions.scored`: a round's stored scores by one method, each with
 * the digest of the inputs it was computed from (update hashes, validation
 * set, seeds), which an auditor recomputing the round must reproduce.
 */
export function contributionsScored(
  taskId: string,
  round: number,
  method: string,
  rows: readonly ContributionRecord[],
): AuditRecord {
  const scores = [...rows]
    .sort((a, b) => (a.holderId < b.holderId ? -1 : a.holderId > b.holderId ? 1 : 0))
    .map((row) => ({
      holderId: row.holderId,
      score: row.score,
      inputsDigest: contentDigest(row.inputs),
    }));
  return record(
    "contributions.scored",
    taskId,
    coordinatorActor,
    { round, method, scores, inputsDigest: contentDigest(rows.map((row) => row.inputs)) },
    `contributions:${taskId}:${round}:${method}`,
  );
}

/**
 * `settlement.<step>`: one finished step of the settle pipeline with the facts
 * it recorded (payout report and root, transfers, claims) and the task's
 * payout lines as they stand after it.
 */
export const settlementStepCompleted = (
  task: TaskRecord,
  step: string,
  facts: Record<string, unknown>,
  payouts: readonly PayoutRecord[],
): AuditRecord =>
  record(
    `settlement.${step}`,
    task.id,
    coordinatorActor,
    {
      rail: task.rail,
      step,
      taskStatus: task.status,
      facts,
      payouts: payouts.map((payout) => ({
        id: payout.id,
        holderId: payout.holderId,
        rail: payout.rail,
        account: payout.account,
        base: payout.base,
        bonus: payout.bonus,
        amount: payout.amount,
        status: payout.status,
        reference: payout.externalRef,
      })),
    },
    `settlement:${task.id}:${step}`,
  );

/** `rail.stripe`: a verified Stripe webhook event and what applying it did. */
export const stripeEventApplied = (
  event: { id: string; type: string },
  outcome: { outcome: string; taskId?: string; reason?: string },
): AuditRecord =>
  record(
    "rail.stripe",
    outcome.taskId ?? null,
    "stripe",
    { eventId: event.id, type: event.type, ...outcome },
    `stripe-event:${event.id}`,
  );
