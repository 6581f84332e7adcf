import type { Kysely } from "kysely";
import { AuditLog } from "../audit/audit-log.ts";
import { inTransaction } from "../store/in-transaction.ts";
import { AgentDecisionsRepository } from "../store/repositories/agent-decisions-repository.ts";
import { AgreementProposalsRepository } from "../store/repositories/agreement-proposals-repository.ts";
import { HolderBidsRepository } from "../store/repositories/holder-bids-repository.ts";
import { NegotiationOffersRepository } from "../store/repositories/negotiation-offers-repository.ts";
import { PrivacyChargesRepository } from "../store/repositories/privacy-charges-repository.ts";
import { TaskFundingsRepository } from "../store/repositories/task-fundings-repository.ts";
import { createRepositories, type Repositories } from "../store/repositories.ts";
import type { Database } from "../store/schema.ts";

/** The core repositories plus the market's own, and the audit log they record to. */
export interface MarketRepositories extends Repositories {
  /** The hash-chained audit log, over the same handle: within `transaction`, it appends in it. */
  audit: AuditLog;
  /**
   * Runs `work` with every repository bound to one transaction (joining the
   * caller's if there is one), so a state change and its audit entry commit together.
   */
  transaction<T>(work: (repos: MarketRepositories) => Promise<T>): Promise<T>;
  agentDecisions: AgentDecisionsRepository;
  holderBids: HolderBidsRepository;
  negotiationOffers: NegotiationOffersRepository;
  agreementProposals: AgreementProposalsRepository;
  privacyCharges: PrivacyChargesRepository;
  taskFundings: TaskFundingsRepository;
}

export function createMarketRepositories(db: Kysely<Database>): MarketRepositories {
  return {
    ...createRepositories(db),
    agentDecisions: new AgentDecisionsRepository(db),
    holderBids: new HolderBidsRepository(db),
    negotiationOffers: new NegotiationOffersRepository(db),
    agreementProposals: new AgreementProposalsRepository(db),
    privacyCharges: new PrivacyChargesRepository(db),
    taskFundings: new TaskFundingsRepository(db),
    audit: new AuditLog(db),
    transaction: (work) => inTransaction(db, (trx) => work(createMarketRepositories(trx))),
  };
}
