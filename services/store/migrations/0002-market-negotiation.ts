import { type Kysely, sql } from "kysely";

/**
 * The marketplace's own records: what the agents decided and why, the
 * alternating-offer transcripts, the clearing result of each task, agreement
 * proposals awaiting signatures, each holder's privacy charges across tasks,
 * and confirmed fundings.
 */
const statements = [
  `-- Every agent decision with the proposal, the verdict of the validators and the
-- rationale, so an auditor can replay why the market did what it did.
create table agent_decisions (
  id          bigint generated always as identity primary key,
  task_id     text references tasks(id),
  agent       text not null check (agent in ('guardian','orchestrator','auditor')),
  party       text not null,
  kind        text not null,
  source      text not null check (source in ('policy','advisor')),
  verdict     text not null check (verdict in ('accepted','rejected','fallback')),
  proposal    jsonb,
  decision    jsonb not null,
  rationale   text not null,
  violations  jsonb not null,
  created_at  timestamptz not null default now()
)`,
  `create index agent_decisions_by_task on agent_decisions (task_id, id)`,
  `create table negotiation_offers (
  task_id     text not null references tasks(id),
  bid_id      text not null references bids(id),
  step        integer not null check (step >= 0),
  party       text not null check (party in ('orchestrator','guardian')),
  action      text not null check (action in ('offer','counter','accept','reject')),
  price       minor_units,
  created_at  timestamptz not null default now(),
  primary key (bid_id, step)
)`,
  `create index negotiation_offers_by_task on negotiation_offers (task_id)`,
  `create table task_selections (
  task_id     text primary key references tasks(id),
  summary     jsonb not null,
  created_at  timestamptz not null default now()
)`,
  `-- Terms proposed to each winner; an agreement row is written once both sign.
create table agreement_proposals (
  task_id          text not null references tasks(id),
  holder_id        text not null references holders(id),
  terms            jsonb not null,
  terms_hash       evm_hash not null unique,
  price            minor_units not null,
  owner_signature  text,
  holder_signature text,
  created_at       timestamptz not null default now(),
  primary key (task_id, holder_id)
)`,
  `-- One charge per (holder, task): a retried agreement charges once.
create table privacy_charges (
  holder_id   text not null references holders(id),
  task_id     text not null references tasks(id),
  epsilon     double precision not null check (epsilon >= 0),
  delta       double precision not null check (delta >= 0 and delta < 1),
  mechanism   jsonb,
  created_at  timestamptz not null default now(),
  primary key (holder_id, task_id)
)`,
  `create table task_fundings (
  task_id     text primary key references tasks(id),
  gate        text not null,
  reference   text not null,
  amount      minor_units not null,
  confirmed_at timestamptz not null default now()
)`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql
    .raw(
      `drop table task_fundings, privacy_charges, agreement_proposals, task_selections,
  negotiation_offers, agent_decisions`,
    )
    .execute(db);
}
