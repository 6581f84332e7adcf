import assert from "node:assert/strict";
import { after, afterEach, before, describe, it } from "node:test";
import { type Provider, Wallet } from "ethers";
import type { Kysely } from "kysely";
import {
  ChainFundingGate,
  escrowTermsFor,
} from "../../services/market/funding/chain-funding-gate.ts";
import { createMarketRepositories } from "../../services/market/market-repositories.ts";
import { fundTask } from "../../services/market/tasks/fund-task.ts";
import { TransactionSender } from "../../services/settlement/chain/transaction-sender.ts";
import {
  escrowAccount,
  holderPaidAccount,
  ownerRefundedAccount,
} from "../../services/settlement/ledger/accounts.ts";
import { bookChainEvents } from "../../services/settlement/pipeline/chain-bookkeeping.ts";
import { LateClaimsBooker } from "../../services/settlement/pipeline/late-claims.ts";
import type { ChainSettlement } from "../../services/settlement/pipeline/settlement-dependencies.ts";
import { SettlementRunsRepository } from "../../services/store/repositories/settlement-runs-repository.ts";
import type { Database } from "../../services/store/schema.ts";
import { balanceOf, type EscrowWorld, startEscrowWorld } from "../contracts/escrow-fixture.ts";
import { newTask } from "../store/fixtures.ts";
import { login, startTestApi, type TestApi } from "../support/api-client.ts";
import { dropSchema } from "../support/databases.ts";
import { testPostgresUrl, uniqueName } from "../support/environment.ts";
import { type SettleQueue, seedTrainedTask, startSettleQueue } from "./settlement-fixture.ts";

interface ProofBody {
  leaf: { index: string; account: string; amount: string };
  proof: string[];
  root: string;
  escrow: string;
  chainId: string;
  chainTaskId: string;
}

/** The real provider, noting the block range of every `getLogs` call. */
function rangeRecording(real: Provider, ranges: Array<[number, number]>): Provider {
  return new Proxy(real, {
    get(target, property) {
      if (property === "getLogs") {
        return (filter: { fromBlock: number; toBlock: number }) => {
          ranges.push([filter.fromBlock, filter.toBlock]);
          return target.getLogs(filter);
        };
      }
      const value = Reflect.get(target, property, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

describe("settling a task through the escrow on the embedded chain", () => {
  let world: EscrowWorld;
  let api: TestApi;
  let db: Kysely<Database>;
  let schema: string | undefined;
  let chain: ChainSettlement;
  let settle: SettleQueue;

  before(async () => {
    world = await startEscrowWorld();
    // The API and the pipeline share one PostgreSQL schema (PGlite when no server answers).
    const postgres = testPostgresUrl();
    schema = uniqueName("agora_test");
    api = await startTestApi({ DATABASE_URL: postgres }, { databaseSchema: schema }).catch(() => {
      schema = undefined;
      return startTestApi();
    });
    db = api.running.deps.database.db;
    chain = {
      escrow: world.coordinator,
      provider: world.chain.provider,
      chainId: world.chain.chainId,
    };
    // Long enough that the job sleeps through the challenge window until the test wakes it.
    settle = await startSettleQueue({ db, chain }, { maxWaitMs: 120_000 });
  });
  afterEach(async () => {
    assert.equal(await createMarketRepositories(db).ledger.trialBalance("USDC"), 0n);
  });
  after(async () => {
    await settle?.close();
    await api?.close();
    if (schema !== undefined) await dropSchema(testPostgresUrl(), schema);
    await world?.close();
  });

  const gate = () =>
    new ChainFundingGate({
      escrow: world.owner,
      provider: world.chain.provider,
      ledger: createMarketRepositories(db).ledger,
      coordinator: world.addresses.coordinator,
    });

  async function termsOf(taskId: string) {
    const task = await createMarketRepositories(db).tasks.get(taskId);
    return escrowTermsFor(task, {
      coordinator: world.addresses.coordinator,
      auditors: world.addresses.auditors,
      threshold: 2,
      trainingStartsAt: await world.chain.latestTimestamp(),
      commitGraceS: 7 * 86_400,
      challengeWindowS: 86_400,
    });
  }

  it("opens bidding only once the budget is deposited in the escrow, confirmed from chain state", async () => {
    const repos = createMarketRepositories(db);
    const task = await repos.tasks.create(
      newTask({ rail: "chain", ownerAddress: world.addresses.owner, budget: 300_000_000n }),
    );
    await assert.rejects(
      fundTask(repos, gate(), task.id, task.ownerAddress),
      /No escrow deposit yet/,
    );
    // A deposit naming another coordinator could never be paid out: refused.
    await world.owner.createTask({
      ...(await termsOf(task.id)),
      coordinator: world.addresses.stranger,
    });
    await assert.rejects(
      fundTask(repos, gate(), task.id, task.ownerAddress),
      /does not fund this task/,
    );
    assert.equal((await repos.tasks.get(task.id)).status, "draft");
    assert.equal(await repos.ledger.balance(escrowAccount(task.id), "USDC"), 0n);
  });

  it("funds, commits the root, serves proofs; a holder claims, the owner reclaims, the books follow", async () => {
    const repos = createMarketRepositories(db);
    const budget = 1_000_000_000n;
    const draft = await repos.tasks.create(
      newTask({ rail: "chain", ownerAddress: world.addresses.owner, budget }),
    );
    const { outcome } = await world.owner.createTask(await termsOf(draft.id));
    assert.equal(outcome.kind, "mined");
    const bidding = await fundTask(repos, gate(), draft.id, draft.ownerAddress);
    assert.equal(bidding.status, "bidding");
    const funding = await repos.taskFundings.find(draft.id);
    assert.equal(funding?.gate, "chain");
    assert.equal(funding?.amount, budget);
    assert.equal(await repos.ledger.balance(escrowAccount(draft.id), "USDC"), -budget);

    const [alice, bob, carol] = world.holders;
    const [aliceId, bobId, carolId] = await seedTrainedTask(db, bidding, [
      { holder: { payoutAccount: alice ?? "" }, price: 100_000_000n, scores: [0.5, 0.25] },
      { holder: { payoutAccount: bob ?? "" }, price: 100_000_000n, scores: [0.25] },
      { holder: { payoutAccount: carol ?? "" }, price: 200_000_000n, scores: [-0.1] },
    ]);
    await settle.enqueue(draft.id);
    assert.equal(await settle.waitFor(draft.id, ["delayed", "failed"]), "delayed");
    const runs = new SettlementRunsRepository(db);
    assert.equal((await runs.find(draft.id))?.step, "committed");
    assert.equal((await repos.tasks.get(draft.id)).status, "settling");

    // The holder fetches its claim from the API.
    const token = await login(api, Wallet.createRandom());
    const get = (path: string) =>
      fetch(api.url(path), { headers: { authorization: `Bearer ${token}` } });
    const response = await get(`/tasks/${draft.id}/payouts/${aliceId}/proof`);
    assert.equal(response.status, 200, await response.clone().text());
    const claim = (await response.json()) as ProofBody;
    // Pool 600 split 3 : 1 between Alice and Bob; Carol added nothing and forfeits her base.
    assert.equal(claim.leaf.amount, "550000000");
    assert.equal(claim.escrow.toLowerCase(), world.owner.address.toLowerCase());
    assert.equal(claim.chainId, world.chain.chainId.toString());
    const chainTaskId = BigInt(claim.chainTaskId);
    const onChain = await world.owner.getTask(chainTaskId);
    assert.equal(onChain.payoutRoot, claim.root);
    assert.equal(onChain.committedTotal, 800_000_000n);

    // Two of three auditors attest; the table is final and Alice claims with the served proof.
    await world.auditors[0].attest(chainTaskId, claim.root);
    await world.auditors[1].attest(chainTaskId, claim.root);
    const aliceSigner = world.chain.signers[7];
    assert.ok(aliceSigner);
    const aliceClient = world.owner.withSender(
      new TransactionSender(aliceSigner, { retryDelayMs: 5 }),
    );
    const aliceBefore = await balanceOf(world, alice ?? "");
    await aliceClient.claim(chainTaskId, {
      index: BigInt(claim.leaf.index),
      account: claim.leaf.account,
      amount: BigInt(claim.leaf.amount),
      proof: claim.proof,
    });
    assert.equal(await balanceOf(world, alice ?? ""), aliceBefore + 550_000_000n);
    const ownerBefore = await balanceOf(world, world.addresses.owner);
    await world.owner.reclaim(chainTaskId);
    assert.equal(await balanceOf(world, world.addresses.owner), ownerBefore + 200_000_000n);

    // The sleeping job wakes, finds the table final and the remainder returned, books and settles.
    await (await settle.queue.getJob(`settle|${draft.id}`))?.promote();
    const woke = await settle.waitFor(draft.id, ["completed", "failed"]);
    assert.equal(woke, "completed", (await runs.find(draft.id))?.lastError ?? "");
    assert.equal((await repos.tasks.get(draft.id)).status, "settled");
    const payouts = await repos.payouts.listForTask(draft.id);
    assert.deepEqual(
      payouts.map((p) => [p.holderId, p.amount, p.status]),
      [
        [aliceId, 550_000_000n, "claimed"],
        [bobId, 250_000_000n, "committed"],
        [carolId, 0n, "planned"],
      ],
    );
    const ledger = repos.ledger;
    assert.equal(await ledger.balance(holderPaidAccount(aliceId ?? ""), "USDC"), 550_000_000n);
    assert.equal(
      await ledger.balance(ownerRefundedAccount(world.addresses.owner), "USDC"),
      200_000_000n,
    );
    assert.equal(
      await ledger.balance(escrowAccount(draft.id), "USDC"),
      -250_000_000n,
      "Bob's share is unclaimed",
    );

    // Bob claims after settlement; the coordinator's late-claims pass books his claim, once,
    // reading the escrow's logs from the start only on its first pass, then only new blocks.
    const ranges: Array<[number, number]> = [];
    const booker = new LateClaimsBooker(db, {
      ...chain,
      provider: rangeRecording(chain.provider, ranges),
    });
    assert.deepEqual(await booker.pass(), { tasks: 1, claimsBooked: 0 });
    const bobSigner = world.chain.signers[8];
    assert.ok(bobSigner);
    const bobProof = (await (
      await get(`/tasks/${draft.id}/payouts/${bobId}/proof`)
    ).json()) as ProofBody;
    await world.owner
      .withSender(new TransactionSender(bobSigner, { retryDelayMs: 5 }))
      .claim(chainTaskId, {
        index: BigInt(bobProof.leaf.index),
        account: bobProof.leaf.account,
        amount: BigInt(bobProof.leaf.amount),
        proof: bobProof.proof,
      });
    assert.deepEqual(await booker.pass(), { tasks: 1, claimsBooked: 1 });
    assert.deepEqual(await booker.pass(), { tasks: 0, claimsBooked: 0 });
    const [first, second] = ranges;
    assert.ok(first && second);
    assert.equal(first[0], 0, "the first pass reads from the escrow's first block");
    assert.equal(second[0], first[1] + 1, "the next reads on from where the first stopped");
    const booked = await bookChainEvents(db, chain, await repos.tasks.get(draft.id), chainTaskId);
    assert.deepEqual([booked.claims, booked.unexplained], [2, []], "the escrow shows two claims");
    assert.equal(await ledger.balance(escrowAccount(draft.id), "USDC"), 0n);
    assert.equal(await ledger.balance(holderPaidAccount(bobId ?? ""), "USDC"), 250_000_000n);
    assert.equal((await repos.payouts.listForTask(draft.id))[1]?.status, "claimed");
  });
});
