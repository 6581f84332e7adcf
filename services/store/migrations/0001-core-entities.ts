import { type Kysely, sql } from "kysely";

/**
 * The core entities of a task's life: tasks, holders, bids, agreements,
 * rounds, updates, contributions, payouts, the double-entry ledger, the audit
 * log, idempotency keys and processed webhook events.
 *
 * Applied migrations are never edited; later changes get a migration of their own.
 *
 * Conventions:
 * - Money is `numeric(78,0)` in minor units: wide enough for any uint256 token
 *   amount, exact, and never a float. Repositories convert it to bigint.
 * - Addresses are lower-case `0x` hex (checked), so equality is plain text equality.
 * - Hashes are lower-case hex without `0x` for content hashes (SHA-256) and
 *   with `0x` for EVM hashes (keccak-256), as each ecosystem writes them.
 */
const statements = [
  `create domain minor_units as numeric(78,0) check (value >= 0)`,
  `create domain signed_minor_units as numeric(78,0)`,
  `create domain evm_address as text check (value ~ '^0x[0-9a-f]{40}$')`,
  `create domain evm_hash as text check (value ~ '^0x[0-9a-f]{64}$')`,
  `create domain content_hash as text check (value ~ '^[0-9a-f]{64}$')`,
  `create table tasks (
  id              text primary key,
  owner_address   evm_address not null,
  status          text not null default 'draft' check (status in
                    ('draft','funded','bidding','negotiating','agreed','training',
                     'settling','settled','disputed','cancelled')),
  rail            text not null check (rail in ('chain','stripe','sandbox')),
  currency        text not null,
  budget          minor_units not null check (budget > 0),
  spec            jsonb not null,
  terms_hash      evm_hash,
  chain_task_id   evm_hash unique,
  deadline        timestamptz not null,
  version         integer not null default 0,
  created_at      timestamptz not null default now(),
  updated_at      timestamptz not null default now()
)`,
  `create index tasks_by_status on tasks (status, created_at)`,
  `create index tasks_by_owner on tasks (owner_address, created_at)`,
  `create table holders (
  id              text primary key,
  address         evm_address not null unique,
  payout_rail     text not null check (payout_rail in ('chain','stripe','sandbox')),
  payout_account  text not null,
  data_summary    jsonb not null,
  hardware        jsonb not null,
  privacy_epsilon double precision not null check (privacy_epsilon >= 0),
  privacy_delta   double precision not null check (privacy_delta > 0 and privacy_delta < 1),
  price_floor     minor_units not null,
  created_at      timestamptz not null default now(),
  updated_at      timestamptz not null default now()
)`,
  `create table bids (
  id              text primary key,
  task_id         text not null references tasks(id),
  holder_id       text not null references holders(id),
  price           minor_units not null,
  samples         integer not null check (samples > 0),
  label_coverage  jsonb not null,
  throughput      double precision not null check (throughput >= 0),
  model_tier      integer not null check (model_tier >= 0),
  epsilon_cost    double precision not null check (epsilon_cost >= 0),
  available_from  timestamptz not null,
  available_until timestamptz not null check (available_until > available_from),
  signer_nonce    numeric(78,0) not null,
  signature       text not null,
  digest          evm_hash not null unique,
  status          text not null default 'open' check (status in
                    ('open','countered','accepted','rejected','withdrawn','selected','lost')),
  created_at      timestamptz not null default now()
)`,
  `create index bids_by_task on bids (task_id, status)`,
  `create index bids_by_holder on bids (holder_id, created_at)`,
  `create table agreements (
  id               text primary key,
  task_id          text not null references tasks(id),
  holder_id        text not null references holders(id),
  terms            jsonb not null,
  terms_hash       evm_hash not null unique,
  price            minor_units not null,
  owner_signature  text not null,
  holder_signature text not null,
  anchor_tx        evm_hash,
  created_at       timestamptz not null default now(),
  unique (task_id, holder_id)
)`,
  `create table rounds (
  task_id           text not null references tasks(id),
  round             integer not null check (round >= 0),
  status            text not null default 'open' check (status in ('open','aggregated','failed')),
  global_model_hash content_hash not null,
  result_model_hash content_hash,
  strategy          text not null,
  min_updates       integer not null check (min_updates > 0),
  deadline          timestamptz not null,
  accuracy          double precision,
  loss              double precision,
  opened_at         timestamptz not null default now(),
  closed_at         timestamptz,
  primary key (task_id, round)
)`,
  `-- One row per (task, round, holder): a retried or duplicated train job lands on
-- the primary key and is stored and counted once.
create table updates (
  task_id       text not null,
  round         integer not null,
  holder_id     text not null references holders(id),
  blob_hash     content_hash not null,
  samples       integer not null check (samples > 0),
  loss          double precision not null,
  train_ms      integer not null check (train_ms >= 0),
  backend       text not null,
  late          boolean not null default false,
  received_at   timestamptz not null default now(),
  primary key (task_id, round, holder_id),
  foreign key (task_id, round) references rounds(task_id, round)
)`,
  `-- Stored with the inputs that produced them, so an auditor can recompute.
create table contributions (
  task_id     text not null,
  round       integer not null,
  holder_id   text not null references holders(id),
  method      text not null,
  score       double precision not null,
  inputs      jsonb not null,
  computed_at timestamptz not null default now(),
  primary key (task_id, round, holder_id, method),
  foreign key (task_id, round) references rounds(task_id, round)
)`,
  `create table payouts (
  id           text primary key,
  task_id      text not null references tasks(id),
  holder_id    text not null references holders(id),
  leaf_index   integer not null check (leaf_index >= 0),
  rail         text not null check (rail in ('chain','stripe','sandbox')),
  account      text not null,
  base_amount  minor_units not null,
  bonus_amount minor_units not null,
  amount       minor_units not null,
  status       text not null default 'planned' check (status in
                 ('planned','committed','sent','claimed','failed')),
  external_ref text,
  created_at   timestamptz not null default now(),
  updated_at   timestamptz not null default now(),
  unique (task_id, holder_id),
  unique (task_id, leaf_index),
  check (amount = base_amount + bonus_amount)
)`,
  `-- Double-entry ledger: a journal entry groups postings that sum to zero per
-- currency. The balance rule is a deferred constraint trigger, so it is checked
-- once at commit, after all postings of the entry are in.
create table ledger_journal (
  id          text primary key,
  kind        text not null,
  reference   text not null unique,
  task_id     text references tasks(id),
  memo        text,
  created_at  timestamptz not null default now()
)`,
  `create table ledger_postings (
  id          bigint generated always as identity primary key,
  journal_id  text not null references ledger_journal(id),
  account     text not null,
  currency    text not null,
  amount      signed_minor_units not null check (amount <> 0),
  created_at  timestamptz not null default now()
)`,
  `create index ledger_postings_by_account on ledger_postings (account, currency)`,
  `create index ledger_postings_by_journal on ledger_postings (journal_id)`,
  `create function ledger_journal_balances() returns trigger language plpgsql as $$
declare
  unbalanced record;
begin
  select currency, sum(amount) as total into unbalanced
    from ledger_postings where journal_id = new.journal_id
    group by currency having sum(amount) <> 0 limit 1;
  if found then
    raise exception 'ledger journal % does not balance in %: off by %',
      new.journal_id, unbalanced.currency, unbalanced.total
      using errcode = '23514';
  end if;
  return null;
end $$`,
  `create constraint trigger ledger_postings_balance
  after insert or update on ledger_postings
  deferrable initially deferred
  for each row execute function ledger_journal_balances()`,
  `create function ledger_postings_append_only() returns trigger language plpgsql as $$
begin
  raise exception 'ledger postings are append-only; post a reversing entry instead'
    using errcode = '55000';
end $$`,
  `create trigger ledger_postings_immutable
  before update or delete on ledger_postings
  for each row execute function ledger_postings_append_only()`,
  `-- The audit log: each entry commits to the previous entry's hash.
create table audit_events (
  seq         bigint generated always as identity primary key,
  kind        text not null,
  task_id     text,
  actor       text not null,
  payload     jsonb not null,
  prev_hash   content_hash,
  hash        content_hash not null unique,
  occurred_at timestamptz not null default now()
)`,
  `create index audit_events_by_task on audit_events (task_id, seq)`,
  `create table idempotency_keys (
  scope         text not null,
  key           text not null,
  request_hash  content_hash not null,
  status        text not null default 'started' check (status in ('started','completed')),
  response_code integer,
  response      jsonb,
  created_at    timestamptz not null default now(),
  expires_at    timestamptz not null,
  primary key (scope, key)
)`,
  `create table processed_webhook_events (
  provider     text not null,
  event_id     text not null,
  event_type   text not null,
  payload_hash content_hash not null,
  received_at  timestamptz not null default now(),
  primary key (provider, event_id)
)`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const statement of dropStatements) await sql.raw(statement).execute(db);
}

const dropStatements = [
  `drop table processed_webhook_events, idempotency_keys, audit_events,
  ledger_postings, ledger_journal, payouts, contributions, updates, rounds,
  agreements, bids, holders, tasks`,
  "drop function ledger_journal_balances(), ledger_postings_append_only()",
  "drop domain minor_units, signed_minor_units, evm_address, evm_hash, content_hash",
];
