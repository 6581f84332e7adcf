import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { id, type Signer } from "ethers";
import { AgoraError } from "../../services/errors/agora-error.ts";
import { deploySettlement } from "../../services/settlement/chain/deploy.ts";
import {
  type EmbeddedChain,
  startEmbeddedChain,
} from "../../services/settlement/chain/embedded-chain.ts";
import { readEscrowEvents } from "../../services/settlement/chain/event-reader.ts";
import {
  connectChainFromEnvironment,
  connectRpcChain,
} from "../../services/settlement/chain/rpc-chain.ts";
import { TransactionSender } from "../../services/settlement/chain/transaction-sender.ts";
import { committedTask, type EscrowWorld, startEscrowWorld } from "./escrow-fixture.ts";

describe("deployment", () => {
  let chain: EmbeddedChain;
  let directory: string;
  before(async () => {
    chain = await startEmbeddedChain();
    directory = await mkdtemp(join(tmpdir(), "agora-deploy-"));
  });
  after(async () => {
    await chain.close();
    await rm(directory, { recursive: true, force: true });
  });

  it("is idempotent with a record file: a second run deploys nothing", async () => {
    const signer = chain.signers[0] as Signer;
    const sender = new TransactionSender(signer);
    const recordFile = join(directory, "deployments.json");
    const first = await deploySettlement({ sender, chainId: chain.chainId, recordFile });
    const nonce = await chain.provider.getTransactionCount(await signer.getAddress());
    const second = await deploySettlement({ sender, chainId: chain.chainId, recordFile });
    assert.deepEqual(second, first);
    assert.equal(await chain.provider.getTransactionCount(await signer.getAddress()), nonce);
    assert.notEqual(await chain.provider.getCode(first.escrow), "0x");
  });
});

describe("chain selection", () => {
  it("uses the embedded chain without CHAIN_RPC_URL, and refuses an RPC URL without a key", async () => {
    const chain = await connectChainFromEnvironment({});
    assert.equal(chain.label, "embedded");
    await chain.close();
    await assert.rejects(
      connectChainFromEnvironment({ CHAIN_RPC_URL: "http://127.0.0.1:1" }),
      AgoraError,
    );
    await assert.rejects(
      connectRpcChain({ url: "http://127.0.0.1:1", privateKey: "0x12" }),
      AgoraError,
    );
  });
});

describe("event reader", () => {
  let world: EscrowWorld;
  before(async () => {
    world = await startEscrowWorld();
  });
  after(() => world.close());

  it("reads a task's events in chain order across chunks", async () => {
    const fromBlock = await world.chain.provider.getBlockNumber();
    const { taskId, tree } = await committedTask(world);
    await world.auditors[0].attest(taskId, tree.root);
    await world.auditors[1].attest(taskId, tree.root);
    await world.stranger.claim(taskId, tree.proofAt(2));
    const events = await readEscrowEvents(world.chain.provider, world.owner, {
      fromBlock,
      taskId,
      chunkSize: 2,
    });
    assert.deepEqual(
      events.map((event) => event.name),
      [
        "TaskCreated",
        "PayoutsCommitted",
        "PayoutsAttested",
        "PayoutsAttested",
        "PayoutsFinalized",
        "Claimed",
      ],
    );
    const claimed = events.at(-1);
    assert.equal(claimed?.args.amount, tree.proofAt(2).amount);
    assert.equal(claimed?.args.account, tree.proofAt(2).account);
    const onlyCommits = await readEscrowEvents(world.chain.provider, world.owner, {
      fromBlock,
      names: ["PayoutsCommitted"],
    });
    assert.equal(onlyCommits.length, 1);
    assert.equal(onlyCommits[0]?.args.root, tree.root);
    assert.equal(id("report"), onlyCommits[0]?.args.reportHash);
  });
});
