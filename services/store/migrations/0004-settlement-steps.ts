import { type Kysely, sql } from "kysely";

/**
 * Settlement's own records: one checkpoint per task (which step of the settle
 * pipeline finished last, with what it learned), and the committed Merkle
 * payout tree of a chain-settled task, from which holders' proofs are served.
 */
const statements = [
  `-- The settle pipeline writes its progress here after every step, so a retried
-- job resumes at the first unfinished step instead of starting over.
create table settlement_runs (
  task_id      text primary key references tasks(id),
  rail         text not null check (rail in ('chain','stripe','sandbox')),
  step         text not null,
  state        jsonb not null,
  attempts     integer not null default 1 check (attempts > 0),
  last_error   text,
  started_at   timestamptz not null default now(),
  updated_at   timestamptz not null default now(),
  completed_at timestamptz
)`,
  `-- One committed tree per task: the standard-v1 dump (recomputed on load, so a
-- tampered row is refused rather than served) and where it was committed.
create table payout_trees (
  task_id       text primary key references tasks(id),
  root          evm_hash not null,
  total         minor_units not null,
  dump          jsonb not null,
  escrow        evm_address not null,
  chain_id      numeric(78,0) not null,
  chain_task_id numeric(78,0) not null,
  created_at    timestamptz not null default now()
)`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql.raw("drop table payout_trees, settlement_runs").execute(db);
}
