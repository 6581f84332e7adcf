import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Job } from "bullmq";
import { Wallet } from "ethers";
import { queueNames } from "../../queues/names.ts";
import { verifyAgainstAnchor } from "../../services/audit/anchor/anchored-log-verification.ts";
import type { AnchorOutcome } from "../../services/audit/anchor/audit-anchorer.ts";
import { AuditLog } from "../../services/audit/audit-log.ts";
import {
  AuditAnchorClient,
  asBytes32,
  deployAuditAnchor,
} from "../../services/settlement/chain/audit-anchor-client.ts";
import { serveChain } from "../../services/settlement/chain/chain-rpc-server.ts";
import {
  type EmbeddedChain,
  startEmbeddedChain,
} from "../../services/settlement/chain/embedded-chain.ts";
import { TransactionSender } from "../../services/settlement/chain/transaction-sender.ts";
import { call, json, taskSpec } from "../market/market-client.ts";
import { login, startTestApi, type TestApi } from "../support/api-client.ts";

/** Hardhat's first development account: funded on the embedded chain, public knowledge. */
const developmentKey = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";

const waitFor = async (what: string, check: () => Promise<boolean>, timeoutMs = 20_000) => {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
};

/**
 * The coordinator's scheduled anchoring, for real: the API process started
 * with the chain rail (over JSON-RPC to an in-process chain) and an
 * AgoraAuditAnchor address anchors the audit log's head every
 * AGORA_AUDIT_ANCHOR_EVERY_S through a BullMQ job scheduler, and leaves an
 * anchored head alone however many passes (or duplicated jobs) run.
 */
describe("periodic audit anchoring by the coordinator", () => {
  const owner = Wallet.createRandom();
  let chain: EmbeddedChain;
  let rpc: Awaited<ReturnType<typeof serveChain>>;
  let api: TestApi;
  let anchors: AuditAnchorClient;
  let log: AuditLog;
  let token: string;

  before(async () => {
    chain = await startEmbeddedChain();
    rpc = await serveChain(chain);
    const deployer = new TransactionSender(chain.signers[0] as Wallet, { retryDelayMs: 5 });
    const anchorAddress = await deployAuditAnchor(deployer, new Wallet(developmentKey).address);
    anchors = await AuditAnchorClient.at(anchorAddress, deployer);
    api = await startTestApi({
      CHAIN_RPC_URL: rpc.url,
      CHAIN_PRIVATE_KEY: developmentKey,
      // Settlement is not exercised here; the chain rail only needs an address to start.
      AGORA_ESCROW_ADDRESS: `0x${"e5".repeat(20)}`,
      AGORA_AUDIT_ANCHOR_ADDRESS: anchorAddress,
      AGORA_AUDIT_ANCHOR_EVERY_S: "0.2",
    });
    log = new AuditLog(api.running.deps.database.db);
    token = await login(api, owner, ["owner"]);
  });
  after(async () => {
    await api?.close();
    await rpc?.close();
    await chain?.close();
  });

  const queue = () => api.running.deps.queues.get(queueNames.auditAnchor);
  const outcomes = async () => {
    const jobs: Job[] = await queue().getJobs(["completed"]);
    return jobs
      .sort((a, b) => (a.finishedOn ?? 0) - (b.finishedOn ?? 0))
      .map((job) => job.returnvalue as AnchorOutcome);
  };
  const headAnchored = async () => {
    const [latest, verification] = await Promise.all([anchors.latest(), log.verify()]);
    return (
      verification.head !== null &&
      latest?.head === asBytes32(verification.head) &&
      latest.entryCount === verification.entries
    );
  };

  it("anchors a new head on its schedule, then leaves it alone pass after pass", async () => {
    const deadline = new Date(Date.now() + 86_400_000).toISOString();
    const task = await json<{ id: string }>(
      await call(api, token, "POST", "/tasks", {
        spec: taskSpec(),
        budget: "5000",
        currency: "USDC",
        rail: "sandbox",
        deadline,
      }),
      201,
    );
    assert.ok((await log.entries({ taskId: task.id })).length > 0);
    await waitFor("the posted task's entry to be anchored", headAnchored);
    const anchored = await anchors.count();
    const { entries } = await log.verify();
    // The pass that anchored it may still be finishing: count the passes after it.
    const anchoringPass = async () =>
      (await outcomes()).findIndex(
        (outcome) => outcome.kind === "anchored" && outcome.entryCount === entries,
      );
    await waitFor("the anchoring pass to complete", async () => (await anchoringPass()) >= 0);
    const passes = (await anchoringPass()) + 1;
    await waitFor("three more passes", async () => (await outcomes()).length >= passes + 3, 10_000);
    const later = (await outcomes()).slice(passes);
    assert.ok(
      later.every((outcome) => outcome.kind === "unchanged"),
      JSON.stringify(later.map((outcome) => outcome.kind)),
    );
    assert.equal(await anchors.count(), anchored, "an anchored head is not anchored again");

    // The schedule is one scheduler, whatever the number of coordinators that upserted it.
    const schedulers = await queue().getJobSchedulers();
    assert.equal(schedulers.length, 1);
    assert.equal(Number(schedulers[0]?.every), 200);

    // More entries: the next pass anchors the new head.
    await json(await call(api, token, "POST", `/tasks/${task.id}/fund`), 200);
    await waitFor("the funding entries to be anchored", headAnchored);
    assert.equal(await anchors.count(), anchored + 1);
    assert.equal((await verifyAgainstAnchor(log, anchors)).ok, true);
  });

  it("runs a duplicated anchoring job without anchoring twice", async () => {
    const before = await anchors.count();
    const jobs = await Promise.all([
      queue().add("anchor", {}, { jobId: "manual-1" }),
      queue().add("anchor", {}, { jobId: "manual-2" }),
    ]);
    await waitFor("both manual jobs", async () => {
      const states = await Promise.all(jobs.map((job) => job.getState()));
      return states.every((state) => state === "completed");
    });
    for (const id of ["manual-1", "manual-2"]) {
      const job = await queue().getJob(id);
      assert.equal((job?.returnvalue as AnchorOutcome | undefined)?.kind, "unchanged");
    }
    assert.equal(await anchors.count(), before);
  });
});
