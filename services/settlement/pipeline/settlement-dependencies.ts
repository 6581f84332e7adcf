import type { Provider } from "ethers";
import type { Kysely } from "kysely";
import type Stripe from "stripe";
import type { Database } from "../../store/schema.ts";
import type { EscrowClient } from "../chain/escrow-client.ts";

/** The escrow the coordinator settles through, and how to read its history. */
export interface ChainSettlement {
  /** Writes as the coordinator named in every task's escrow terms. */
  escrow: EscrowClient;
  provider: Provider;
  chainId: bigint;
  /** First block to scan for escrow events (its deployment block); default 0. */
  fromBlock?: number;
}

/**
 * What the settle pipeline talks to. A rail's client is needed only by tasks
 * on that rail: a Stripe task without `stripe`, or a chain task without
 * `chain`, fails with 503 and is retried once the deployment has it.
 */
export interface SettlementDependencies {
  db: Kysely<Database>;
  stripe?: Stripe | undefined;
  chain?: ChainSettlement | undefined;
}
