import type { Kysely } from "kysely";
import type { Logger } from "pino";
import type { Config } from "../config/config.ts";
import { EscrowClient } from "../settlement/chain/escrow-client.ts";
import { connectRpcChain } from "../settlement/chain/rpc-chain.ts";
import { TransactionSender } from "../settlement/chain/transaction-sender.ts";
import type { SettlementDependencies } from "../settlement/pipeline/settlement-dependencies.ts";
import { createStripeClient } from "../settlement/rails/stripe/stripe-client.ts";
import type { Database, Rail } from "../store/schema.ts";

/** The rails this deployment settles on, and how to let go of them. */
export interface SettlementRails {
  settlement: SettlementDependencies;
  /** `sandbox` always; `stripe` and `chain` when configured. */
  rails: Rail[];
  /**
   * The coordinator's own chain address (CHAIN_PRIVATE_KEY's), when the chain
   * rail is on: escrow deposits must name it, and fiat off-ramps are paid to it.
   */
  chainAccount?: string;
  /**
   * The one sender of that account's transactions, when the chain rail is on:
   * whatever else the coordinator sends (audit anchors) goes through it, so
   * nonces never collide with settlement's.
   */
  chainSender?: TransactionSender;
  close(): Promise<void>;
}

/**
 * Connects the rails the configuration allows. The sandbox needs nothing
 * but the ledger. Stripe needs its secret key. The chain needs all of
 * CHAIN_RPC_URL, CHAIN_PRIVATE_KEY and AGORA_ESCROW_ADDRESS: half a chain
 * configuration is logged, not guessed at, and tasks on a missing rail wait
 * in the settle queue (503, retried) until a deployment has it.
 */
export async function connectSettlementRails(
  config: Config,
  db: Kysely<Database>,
  logger: Logger,
): Promise<SettlementRails> {
  const settlement: SettlementDependencies = { db };
  const rails: Rail[] = ["sandbox"];
  if (config.STRIPE_SECRET_KEY !== undefined) {
    settlement.stripe = createStripeClient({
      secretKey: config.STRIPE_SECRET_KEY,
      apiBase: config.STRIPE_API_BASE,
    });
    rails.push("stripe");
  }
  const chainSettings = [
    config.CHAIN_RPC_URL,
    config.CHAIN_PRIVATE_KEY,
    config.AGORA_ESCROW_ADDRESS,
  ] as const;
  let close = async () => {};
  let chainAccount: string | undefined;
  let chainSender: TransactionSender | undefined;
  const [url, privateKey, escrowAddress] = chainSettings;
  if (url !== undefined && privateKey !== undefined && escrowAddress !== undefined) {
    const chain = await connectRpcChain({ url, privateKey });
    const signer = chain.signers[0];
    if (signer === undefined) {
      await chain.close();
      throw new Error("the chain connection has no signer");
    }
    let escrow: EscrowClient;
    try {
      chainAccount = await signer.getAddress();
      chainSender = new TransactionSender(signer);
      escrow = await EscrowClient.at(escrowAddress, chainSender, chain.provider);
    } catch (error) {
      await chain.close();
      throw error;
    }
    settlement.chain = {
      escrow,
      provider: chain.provider,
      chainId: chain.chainId,
      fromBlock: config.AGORA_ESCROW_FROM_BLOCK,
    };
    rails.push("chain");
    close = chain.close;
  } else if (chainSettings.some((setting) => setting !== undefined)) {
    logger.warn(
      "chain rail off: it needs CHAIN_RPC_URL, CHAIN_PRIVATE_KEY and AGORA_ESCROW_ADDRESS together",
    );
  }
  return {
    settlement,
    rails,
    ...(chainAccount !== undefined && { chainAccount }),
    ...(chainSender !== undefined && { chainSender }),
    close,
  };
}
