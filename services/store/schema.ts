import type { ColumnType, Generated, JSONColumnType } from "kysely";

/**
 * Row types of the tables created by the migrations, as Kysely sees them.
 * Keep in step with `migrations/`: a migration that changes a table changes
 * its interface here.
 *
 * Money columns are `numeric(78,0)`: read as a decimal string, written from a
 * bigint or string. Repositories expose them as bigint (see `money.ts`).
 */
type Money = ColumnType<string, bigint | string, bigint | string>;
type CreatedAt = ColumnType<Date, Date | string | undefined, never>;
type UpdatedAt = ColumnType<Date, Date | string | undefined, Date | string>;
type Timestamp = ColumnType<Date, Date | string, Date | string>;
type Json<T extends object | null> = JSONColumnType<T, T, T>;

export type TaskStatus =
  | "draft"
  | "funded"
  | "bidding"
  | "negotiating"
  | "agreed"
  | "training"
  | "settling"
  | "settled"
  | "disputed"
  | "cancelled";

export type Rail = "chain" | "stripe" | "sandbox";

export interface TasksTable {
  id: string;
  owner_address: string;
  status: ColumnType<TaskStatus, TaskStatus | undefined, TaskStatus>;
  rail: Rail;
  currency: string;
  budget: Money;
  spec: Json<Record<string, unknown>>;
  terms_hash: string | null;
  chain_task_id: string | null;
  deadline: Timestamp;
  version: ColumnType<number, number | undefined, number>;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

export interface HoldersTable {
  id: string;
  address: string;
  payout_rail: Rail;
  payout_account: string;
  data_summary: Json<Record<string, unknown>>;
  hardware: Json<Record<string, unknown>>;
  privacy_epsilon: number;
  privacy_delta: number;
  price_floor: Money;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

export type BidStatus =
  | "open"
  | "countered"
  | "accepted"
  | "rejected"
  | "withdrawn"
  | "selected"
  | "lost";

export interface BidsTable {
  id: string;
  task_id: string;
  holder_id: string;
  price: Money;
  samples: number;
  label_coverage: Json<Record<string, number>>;
  throughput: number;
  model_tier: number;
  epsilon_cost: number;
  available_from: Timestamp;
  available_until: Timestamp;
  signer_nonce: Money;
  signature: string;
  digest: string;
  status: ColumnType<BidStatus, BidStatus | undefined, BidStatus>;
  created_at: CreatedAt;
}

export interface AgreementsTable {
  id: string;
  task_id: string;
  holder_id: string;
  terms: Json<Record<string, unknown>>;
  terms_hash: string;
  price: Money;
  owner_signature: string;
  holder_signature: string;
  anchor_tx: string | null;
  created_at: CreatedAt;
}

export type RoundStatus = "open" | "aggregated" | "failed";

export interface RoundsTable {
  task_id: string;
  round: number;
  status: ColumnType<RoundStatus, RoundStatus | undefined, RoundStatus>;
  global_model_hash: string;
  result_model_hash: string | null;
  strategy: string;
  min_updates: number;
  deadline: Timestamp;
  accuracy: number | null;
  loss: number | null;
  opened_at: CreatedAt;
  closed_at: Timestamp | null;
}

export interface UpdatesTable {
  task_id: string;
  round: number;
  holder_id: string;
  blob_hash: string;
  samples: number;
  loss: number;
  train_ms: number;
  backend: string;
  late: ColumnType<boolean, boolean | undefined, boolean>;
  received_at: CreatedAt;
}

export interface ContributionsTable {
  task_id: string;
  round: number;
  holder_id: string;
  method: string;
  score: number;
  inputs: Json<Record<string, unknown>>;
  computed_at: CreatedAt;
}

export type PayoutStatus = "planned" | "committed" | "sent" | "claimed" | "failed";

export interface PayoutsTable {
  id: string;
  task_id: string;
  holder_id: string;
  leaf_index: number;
  rail: Rail;
  account: string;
  base_amount: Money;
  bonus_amount: Money;
  amount: Money;
  status: ColumnType<PayoutStatus, PayoutStatus | undefined, PayoutStatus>;
  external_ref: string | null;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

export interface LedgerJournalTable {
  id: string;
  kind: string;
  reference: string;
  task_id: string | null;
  memo: string | null;
  created_at: CreatedAt;
}

export interface LedgerPostingsTable {
  id: Generated<bigint>;
  journal_id: string;
  account: string;
  currency: string;
  amount: Money;
  created_at: CreatedAt;
}

export interface AuditEventsTable {
  seq: Generated<bigint>;
  kind: string;
  task_id: string | null;
  actor: string;
  payload: Json<Record<string, unknown>>;
  prev_hash: string | null;
  hash: string;
  occurred_at: CreatedAt;
  /** Idempotency key of the producer (migration 0005); not part of the hashed content. */
  dedupe_key: ColumnType<string | null, string | null | undefined, never>;
}

export interface IdempotencyKeysTable {
  scope: string;
  key: string;
  request_hash: string;
  status: ColumnType<"started" | "completed", "started" | "completed" | undefined>;
  response_code: number | null;
  response: Json<Record<string, unknown>> | null;
  created_at: CreatedAt;
  expires_at: Timestamp;
}

export interface ProcessedWebhookEventsTable {
  provider: string;
  event_id: string;
  event_type: string;
  payload_hash: string;
  received_at: CreatedAt;
}

export type AgentName = "guardian" | "orchestrator" | "auditor";

export interface AgentDecisionsTable {
  id: Generated<bigint>;
  task_id: string | null;
  agent: AgentName;
  party: string;
  kind: string;
  source: "policy" | "advisor";
  verdict: "accepted" | "rejected" | "fallback";
  proposal: Json<Record<string, unknown>> | null;
  decision: Json<Record<string, unknown>>;
  rationale: string;
  violations: Json<string[]>;
  created_at: CreatedAt;
}

export interface NegotiationOffersTable {
  task_id: string;
  bid_id: string;
  step: number;
  party: "orchestrator" | "guardian";
  action: "offer" | "counter" | "accept" | "reject";
  price: Money | null;
  created_at: CreatedAt;
}

export interface TaskSelectionsTable {
  task_id: string;
  summary: Json<Record<string, unknown>>;
  created_at: CreatedAt;
}

export interface AgreementProposalsTable {
  task_id: string;
  holder_id: string;
  terms: Json<Record<string, unknown>>;
  terms_hash: string;
  price: Money;
  owner_signature: string | null;
  holder_signature: string | null;
  created_at: CreatedAt;
}

export interface PrivacyChargesTable {
  holder_id: string;
  task_id: string;
  epsilon: number;
  delta: number;
  mechanism: Json<Record<string, unknown>> | null;
  created_at: CreatedAt;
}

export interface TaskFundingsTable {
  task_id: string;
  gate: string;
  reference: string;
  amount: Money;
  confirmed_at: CreatedAt;
}

export interface Database {
  tasks: TasksTable;
  holders: HoldersTable;
  bids: BidsTable;
  agreements: AgreementsTable;
  rounds: RoundsTable;
  updates: UpdatesTable;
  contributions: ContributionsTable;
  payouts: PayoutsTable;
  ledger_journal: LedgerJournalTable;
  ledger_postings: LedgerPostingsTable;
  audit_events: AuditEventsTable;
  idempotency_keys: IdempotencyKeysTable;
  processed_webhook_events: ProcessedWebhookEventsTable;
  agent_decisions: AgentDecisionsTable;
  negotiation_offers: NegotiationOffersTable;
  task_selections: TaskSelectionsTable;
  agreement_proposals: AgreementProposalsTable;
  privacy_charges: PrivacyChargesTable;
  task_fundings: TaskFundingsTable;
}
