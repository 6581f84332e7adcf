import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Wallet } from "ethers";
import pino from "pino";
import { loadConfig } from "../../services/config/config.ts";
import { connectSettlementRails } from "../../services/coordinator/settlement-rails.ts";
import { serveChain } from "../../services/settlement/chain/chain-rpc-server.ts";
import {
  type EmbeddedChain,
  startEmbeddedChain,
} from "../../services/settlement/chain/embedded-chain.ts";
import { type OpenDatabase, openDatabase } from "../../services/store/database.ts";

/** Hardhat's first development account: funded on the embedded chain, public knowledge. */
const developmentKey = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
const escrowAddress = `0x${"e5".repeat(20)}`;

describe("the rails the coordinator settles on", () => {
  const logger = pino({ level: "silent" });
  let database: OpenDatabase;
  let chain: EmbeddedChain;
  let rpc: Awaited<ReturnType<typeof serveChain>>;
  before(async () => {
    database = await openDatabase({});
    chain = await startEmbeddedChain();
    rpc = await serveChain(chain);
  });
  after(async () => {
    await rpc?.close();
    await chain?.close();
    await database?.close();
  });

  it("is the sandbox alone when nothing else is configured", async () => {
    const rails = await connectSettlementRails(loadConfig({}), database.db, logger);
    assert.deepEqual(rails.rails, ["sandbox"]);
    assert.equal(rails.settlement.stripe, undefined);
    assert.equal(rails.settlement.chain, undefined);
  });

  it("adds Stripe with its secret key", async () => {
    const rails = await connectSettlementRails(
      loadConfig({ STRIPE_SECRET_KEY: "sk_test_x", STRIPE_WEBHOOK_SECRET: "whsec_x" }),
      database.db,
      logger,
    );
    assert.deepEqual(rails.rails, ["sandbox", "stripe"]);
    assert.ok(rails.settlement.stripe !== undefined);
  });

  it("adds the chain only with an RPC URL, a key and an escrow address together", async () => {
    const partial = await connectSettlementRails(
      loadConfig({ CHAIN_RPC_URL: rpc.url, CHAIN_PRIVATE_KEY: developmentKey }),
      database.db,
      logger,
    );
    assert.deepEqual(partial.rails, ["sandbox"], "no escrow address: no chain rail");

    const full = await connectSettlementRails(
      loadConfig({
        CHAIN_RPC_URL: rpc.url,
        CHAIN_PRIVATE_KEY: developmentKey,
        AGORA_ESCROW_ADDRESS: escrowAddress,
        AGORA_ESCROW_FROM_BLOCK: "7",
      }),
      database.db,
      logger,
    );
    try {
      assert.deepEqual(full.rails, ["sandbox", "chain"]);
      assert.equal(full.settlement.chain?.escrow.address, escrowAddress);
      assert.equal(full.settlement.chain?.chainId, (await chain.provider.getNetwork()).chainId);
      assert.equal(full.settlement.chain?.fromBlock, 7);
      assert.equal(full.chainAccount, new Wallet(developmentKey).address, "the coordinator's own");
    } finally {
      await full.close();
    }
  });

  it("explains a malformed escrow address", () => {
    assert.throws(
      () => loadConfig({ AGORA_ESCROW_ADDRESS: "0x1234" }),
      (error: Error & { detail?: string }) =>
        /AGORA_ESCROW_ADDRESS must be the escrow contract's address/.test(error.detail ?? ""),
    );
  });
});
