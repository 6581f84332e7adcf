import { type TypedDataDomain, ZeroAddress } from "ethers";
import type { Redis } from "ioredis";
import type { Kysely } from "kysely";
import type { Advisor } from "../../agents/advisor/advisor.ts";
import { advisorFromEnvironment } from "../../agents/advisor/openai-advisor.ts";
import { RedisSignerNonceRegistry } from "../identity/signer-nonce-registry.ts";
import { agoraDomain } from "../identity/typed-data.ts";
import { TypedDataVerifier } from "../identity/typed-data-verifier.ts";
import type { Database } from "../store/schema.ts";
import { AuditedBidWrites } from "./bids/audited-bid-writes.ts";
import { BidGroupCommit } from "./bids/bid-group-commit.ts";
import { RegisteredHolders } from "./bids/registered-holders.ts";
import { ChainFundingGate, type ChainFundingGateOptions } from "./funding/chain-funding-gate.ts";
import type { FundingGate } from "./funding/funding-gate.ts";
import { RailFundingGates } from "./funding/rail-funding-gates.ts";
import { SandboxFundingGate } from "./funding/sandbox-funding-gate.ts";
import { createMarketRepositories, type MarketRepositories } from "./market-repositories.ts";
import type { PrivacyLedger } from "./privacy/privacy-ledger.ts";
import { StorePrivacyLedger } from "./privacy/store-privacy-ledger.ts";

/** What the market's use-cases need, built once per process. */
export interface MarketServices {
  repos: MarketRepositories;
  /** EIP-712 domain of bids and agreements. */
  domain: TypedDataDomain;
  verifier: TypedDataVerifier;
  /** Writes incoming bids, many per statement under load. */
  bidWrites: BidGroupCommit;
  /** Holder ids by address, remembered: every bid needs one. */
  registeredHolders: RegisteredHolders;
  fundingGate: FundingGate;
  privacyLedger: PrivacyLedger;
  /** The agents' LLM advisor, when LLM_BASE_URL and LLM_MODEL are set. */
  advisor: Advisor | undefined;
}

export interface MarketServicesOptions {
  db: Kysely<Database>;
  redis: Redis;
  chainId: number;
  /** Prefix of Redis keys (nonce records). */
  keyPrefix: string;
  /**
   * The contract bids and agreements are bound to. Until the escrow is
   * deployed by settlement, the zero address: signatures are then bound to
   * the chain id and protocol version only.
   */
  verifyingContract?: string;
  advisor?: Advisor | undefined;
  /**
   * The process's chain connection, when it has one: chain tasks are then
   * funded by a confirmed escrow deposit. Without it they cannot be funded here.
   */
  chainFunding?: Omit<ChainFundingGateOptions, "ledger"> | undefined;
  /** Whether Stripe is configured (its verified webhook funds Stripe tasks). */
  stripeFunding?: boolean;
  /** Replaces the rail gates altogether (tests). */
  fundingGate?: FundingGate;
}

export function createMarketServices(options: MarketServicesOptions): MarketServices {
  const repos = createMarketRepositories(options.db);
  const domain = agoraDomain(options.chainId, options.verifyingContract ?? ZeroAddress);
  return {
    repos,
    domain,
    verifier: new TypedDataVerifier({
      domain,
      nonces: new RedisSignerNonceRegistry(options.redis, { prefix: options.keyPrefix }),
    }),
    bidWrites: new BidGroupCommit(new AuditedBidWrites(options.db)),
    registeredHolders: new RegisteredHolders(repos.holders),
    fundingGate:
      options.fundingGate ??
      new RailFundingGates({
        sandbox: new SandboxFundingGate(repos.ledger),
        chain:
          options.chainFunding &&
          new ChainFundingGate({ ...options.chainFunding, ledger: repos.ledger }),
        stripe: options.stripeFunding === true,
      }),
    privacyLedger: new StorePrivacyLedger(repos.privacyCharges),
    advisor: "advisor" in options ? options.advisor : advisorFromEnvironment(),
  };
}
