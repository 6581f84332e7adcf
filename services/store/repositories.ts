import type { Kysely } from "kysely";
import { BidsRepository } from "./repositories/bids-repository.ts";
import { ContributionsRepository } from "./repositories/contributions-repository.ts";
import { HoldersRepository } from "./repositories/holders-repository.ts";
import { IdempotencyKeysRepository } from "./repositories/idempotency-keys-repository.ts";
import { LedgerRepository } from "./repositories/ledger-repository.ts";
import { PayoutsRepository } from "./repositories/payouts-repository.ts";
import { RoundsRepository } from "./repositories/rounds-repository.ts";
import { TaskSelectionsRepository } from "./repositories/task-selections-repository.ts";
import { TasksRepository } from "./repositories/tasks-repository.ts";
import { WebhookEventsRepository } from "./repositories/webhook-events-repository.ts";
import type { Database } from "./schema.ts";

/** Every repository over one database handle (or one transaction). */
export interface Repositories {
  tasks: TasksRepository;
  holders: HoldersRepository;
  bids: BidsRepository;
  rounds: RoundsRepository;
  contributions: ContributionsRepository;
  ledger: LedgerRepository;
  payouts: PayoutsRepository;
  idempotencyKeys: IdempotencyKeysRepository;
  webhookEvents: WebhookEventsRepository;
  /** Each task's auction outcome, its participation plan included (settlement reads it too). */
  taskSelections: TaskSelectionsRepository;
}

export function createRepositories(db: Kysely<Database>): Repositories {
  return {
    tasks: new TasksRepository(db),
    holders: new HoldersRepository(db),
    bids: new BidsRepository(db),
    rounds: new RoundsRepository(db),
    contributions: new ContributionsRepository(db),
    ledger: new LedgerRepository(db),
    payouts: new PayoutsRepository(db),
    idempotencyKeys: new IdempotencyKeysRepository(db),
    webhookEvents: new WebhookEventsRepository(db),
    taskSelections: new TaskSelectionsRepository(db),
  };
}
