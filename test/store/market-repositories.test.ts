import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { AgoraError } from "../../services/errors/agora-error.ts";
import { BidGroupCommit } from "../../services/market/bids/bid-group-commit.ts";
import {
  createMarketRepositories,
  type MarketRepositories,
} from "../../services/market/market-repositories.ts";
import type { NewBid } from "../../services/store/repositories/bids-repository.ts";
import { createRepositories, type Repositories } from "../../services/store/repositories.ts";
import { databaseBackends, type TestDatabase } from "../support/databases.ts";
import { newHolder, newTask } from "./fixtures.ts";

const backends = await databaseBackends();
const uint256Max = 2n ** 256n - 1n;

const isKind = (kind: string) => (error: unknown) =>
  error instanceof AgoraError && error.kind === kind;

for (const backend of backends) {
  describe(`tasks, holders and bids on ${backend.name}`, { skip: backend.skip }, () => {
    let database: TestDatabase;
    let repos: Repositories;
    before(async () => {
      database = await backend.open();
      repos = createRepositories(database.db);
    });
    after(() => database?.dispose());

    it("stores a task and reads it back with exact bigint money", async () => {
      const task = newTask({ budget: uint256Max });
      const created = await repos.tasks.create(task);
      assert.equal(created.status, "draft");
      assert.equal(created.version, 0);
      const read = await repos.tasks.get(task.id);
      assert.equal(read.budget, uint256Max);
      assert.deepEqual(read.spec, task.spec);
      assert.equal(read.ownerAddress, task.ownerAddress.toLowerCase());
    });

    it("refuses a duplicate task id and an unknown id with clear errors", async () => {
      const task = await repos.tasks.create(newTask());
      await assert.rejects(repos.tasks.create(newTask({ id: task.id })), isKind("conflict"));
      await assert.rejects(repos.tasks.get("task-missing"), isKind("not_found"));
    });

    it("rejects rows the schema forbids: zero budget, malformed address", async () => {
      await assert.rejects(repos.tasks.create(newTask({ budget: 0n })));
      await assert.rejects(repos.tasks.create(newTask({ ownerAddress: "0x1234" })));
    });

    it("lets exactly one of two racing transitions win", async () => {
      const task = await repos.tasks.create(newTask());
      const outcomes = await Promise.allSettled([
        repos.tasks.transition(task.id, "draft", "funded"),
        repos.tasks.transition(task.id, "draft", "cancelled"),
      ]);
      const won = outcomes.filter((outcome) => outcome.status === "fulfilled");
      const lost = outcomes.filter((outcome) => outcome.status === "rejected");
      assert.equal(won.length, 1);
      assert.equal(lost.length, 1);
      assert.ok(isKind("conflict")((lost[0] as PromiseRejectedResult).reason));
      const final = await repos.tasks.get(task.id);
      assert.equal(final.version, 1);
      assert.equal(
        final.status,
        (won[0] as PromiseFulfilledResult<{ status: string }>).value.status,
      );
    });

    it("registers holders once per id and per address, and updates their policy", async () => {
      const holder = await repos.holders.register(newHolder());
      assert.equal(holder.priceFloor, 5_000_000n);
      await assert.rejects(
        repos.holders.register(newHolder({ address: holder.address })),
        isKind("conflict"),
      );
      const found = await repos.holders.findByAddress(
        holder.address.toUpperCase().replace("0X", "0x"),
      );
      assert.equal(found?.id, holder.id);
      const updated = await repos.holders.updatePolicy(holder.id, {
        priceFloor: 7n,
        privacyEpsilon: 2.5,
      });
      assert.equal(updated.priceFloor, 7n);
      assert.equal(updated.privacyEpsilon, 2.5);
      assert.equal(updated.privacyDelta, holder.privacyDelta);
    });

    it("stores signed bids once: a replayed digest is a conflict, an unknown task is not found", async () => {
      const task = await repos.tasks.create(newTask());
      const holder = await repos.holders.register(newHolder());
      const bid: NewBid = {
        id: `bid-${task.id}`,
        taskId: task.id,
        holderId: holder.id,
        price: 12_345_678n,
        samples: 600,
        labelCoverage: { "3": 0.5, "7": 0.5 },
        throughput: 850.5,
        modelTier: 1,
        epsilonCost: 1.25,
        availableFrom: new Date("2026-01-01T00:00:00Z"),
        availableUntil: new Date("2026-01-02T00:00:00Z"),
        signerNonce: uint256Max,
        signature: `0x${"ab".repeat(65)}`,
        digest: `0x${"cd".repeat(32)}`,
      };
      const stored = await repos.bids.insert(bid);
      assert.equal(stored.status, "open");
      assert.equal(stored.price, bid.price);
      assert.equal(stored.signerNonce, uint256Max);
      assert.deepEqual(stored.labelCoverage, bid.labelCoverage);
      await assert.rejects(repos.bids.insert({ ...bid, id: "bid-replay" }), isKind("conflict"));
      await assert.rejects(
        repos.bids.insert({
          ...bid,
          id: "bid-x",
          taskId: "task-missing",
          digest: `0x${"ef".repeat(32)}`,
        }),
        isKind("not_found"),
      );
      assert.equal(await repos.bids.setStatus([bid.id], "selected"), 1);
      const selected = await repos.bids.listForTask(task.id, "selected");
      assert.deepEqual(
        selected.map((row) => row.id),
        [bid.id],
      );
    });
  });
}

let bidCounter = 0;
const newBid = (taskId: string, holderId: string, overrides: Partial<NewBid> = {}): NewBid => {
  bidCounter++;
  return {
    id: `bid-${taskId}-${bidCounter}`,
    taskId,
    holderId,
    price: 1_000n + BigInt(bidCounter),
    samples: 600,
    labelCoverage: { "0": 1 },
    throughput: 500,
    modelTier: 0,
    epsilonCost: 1,
    availableFrom: new Date("2026-01-01T00:00:00Z"),
    availableUntil: new Date("2026-01-02T00:00:00Z"),
    signerNonce: BigInt(bidCounter),
    signature: `0x${"ab".repeat(65)}`,
    digest: `0x${bidCounter.toString(16).padStart(64, "0")}`,
    ...overrides,
  };
};
const terms = (holderId: string) => ({ holderId, rounds: 2, price: "1500" });
const hash = (seed: number) => `0x${seed.toString(16).padStart(64, "a")}`;

for (const backend of backends) {
  describe(`market repositories on ${backend.name}`, { skip: backend.skip }, () => {
    let database: TestDatabase;
    let repos: MarketRepositories;
    before(async () => {
      database = await backend.open();
      repos = createMarketRepositories(database.db);
    });
    after(() => database?.dispose());

    const taskAndHolder = async () => ({
      task: await repos.tasks.create(newTask()),
      holder: await repos.holders.register(newHolder()),
    });

    it("inserts many bids in one statement, each with its own conflict", async () => {
      const { task, holder } = await taskAndHolder();
      const existing = await repos.bids.insert(newBid(task.id, holder.id));
      const fresh = newBid(task.id, holder.id);
      const outcomes = await repos.bids.insertMany([
        fresh,
        newBid(task.id, holder.id, { digest: existing.digest }),
        newBid(task.id, holder.id, { digest: fresh.digest }),
        { ...fresh },
      ]);
      assert.equal((outcomes[0] as { id: string }).id, fresh.id);
      for (const outcome of outcomes.slice(1)) assert.ok(isKind("conflict")(outcome));
      assert.equal((await repos.bids.listForTask(task.id)).length, 2);
      await assert.rejects(repos.bids.insertMany([newBid("task-missing", holder.id)]));
    });

    it("group-commits concurrent bids: every caller gets its own durable row or error", async () => {
      const { task, holder } = await taskAndHolder();
      const writes = new BidGroupCommit(repos.bids, { maxBatch: 16 });
      const bids = Array.from({ length: 40 }, () => newBid(task.id, holder.id));
      const replay = { ...(bids[3] as NewBid), id: `${(bids[3] as NewBid).id}-replay` };
      const orphan = newBid("task-missing", holder.id);
      const results = await Promise.allSettled([
        ...bids.map((bid) => writes.write(bid)),
        writes.write(replay),
        writes.write(orphan),
      ]);
      results.slice(0, 40).forEach((result, i) => {
        assert.equal(result.status, "fulfilled");
        assert.equal((result as PromiseFulfilledResult<{ id: string }>).value.id, bids[i]?.id);
      });
      assert.ok(isKind("conflict")((results[40] as PromiseRejectedResult).reason));
      assert.ok(isKind("not_found")((results[41] as PromiseRejectedResult).reason));
      const stored = await repos.bids.listForTask(task.id);
      assert.deepEqual(stored.map((bid) => bid.id).sort(), bids.map((bid) => bid.id).sort());
    });

    it("lists a holder's own bids, newest first, up to a limit", async () => {
      const { task, holder } = await taskAndHolder();
      const other = await repos.holders.register(newHolder());
      for (let i = 0; i < 3; i++) await repos.bids.insert(newBid(task.id, holder.id));
      await repos.bids.insert(newBid(task.id, other.id));
      const mine = await repos.holderBids.listForHolder(holder.id);
      assert.equal(mine.length, 3);
      assert.ok(mine.every((bid) => bid.taskId === task.id && bid.status === "open"));
      for (let i = 1; i < mine.length; i++) {
        assert.ok(
          (mine[i - 1] as { createdAt: Date }).createdAt >=
            (mine[i] as { createdAt: Date }).createdAt,
        );
      }
      assert.equal((await repos.holderBids.listForHolder(holder.id, 2)).length, 2);
      assert.equal(typeof mine[0]?.price, "bigint");
    });

    it("appends negotiation moves once per step, so a retry changes nothing", async () => {
      const { task, holder } = await taskAndHolder();
      const bid = await repos.bids.insert(newBid(task.id, holder.id));
      const moves = [
        {
          taskId: task.id,
          bidId: bid.id,
          step: 0,
          party: "orchestrator" as const,
          action: "offer" as const,
          price: 900n,
        },
        {
          taskId: task.id,
          bidId: bid.id,
          step: 1,
          party: "guardian" as const,
          action: "reject" as const,
          price: null,
        },
      ];
      await repos.negotiationOffers.append(moves);
      await repos.negotiationOffers.append([{ ...moves[0], price: 1n } as (typeof moves)[number]]);
      const stored = await repos.negotiationOffers.listForTask(task.id);
      assert.deepEqual(
        stored.map(({ step, party, action, price }) => ({ step, party, action, price })),
        [
          { step: 0, party: "orchestrator", action: "offer", price: 900n },
          { step: 1, party: "guardian", action: "reject", price: null },
        ],
      );
      assert.equal((await repos.negotiationOffers.listForBids([bid.id])).length, 2);
      assert.deepEqual(await repos.negotiationOffers.listForBids([]), []);
    });

    it("stores a task's selection once", async () => {
      const { task } = await taskAndHolder();
      assert.equal(await repos.taskSelections.find(task.id), undefined);
      await repos.taskSelections.save(task.id, { winners: ["h1"], totalPayment: "12" });
      await assert.rejects(repos.taskSelections.save(task.id, { winners: [] }), isKind("conflict"));
      assert.deepEqual(await repos.taskSelections.find(task.id), {
        winners: ["h1"],
        totalPayment: "12",
      });
    });

    it("completes an agreement once both parties sign, and only once", async () => {
      const { task, holder } = await taskAndHolder();
      const proposal = {
        taskId: task.id,
        holderId: holder.id,
        terms: terms(holder.id),
        termsHash: hash(bidCounter++),
        price: 1_500n,
      };
      await repos.agreementProposals.propose([proposal]);
      await repos.agreementProposals.propose([
        { ...proposal, price: 1n, termsHash: hash(bidCounter++) },
      ]);
      const stored = await repos.agreementProposals.get(task.id, holder.id);
      assert.equal(stored.price, 1_500n);
      assert.equal(stored.termsHash, proposal.termsHash);
      await assert.rejects(
        repos.agreementProposals.get(task.id, "holder-missing"),
        isKind("not_found"),
      );
      await assert.rejects(
        repos.agreementProposals.sign(task.id, "holder-missing", "owner", "0x01"),
        isKind("not_found"),
      );
      assert.equal(await repos.agreementProposals.unsignedCount(task.id), 1);
      const first = await repos.agreementProposals.sign(task.id, holder.id, "owner", "0xowner");
      assert.equal(first.complete, false);
      const second = await repos.agreementProposals.sign(task.id, holder.id, "holder", "0xholder");
      assert.equal(second.complete, true);
      const retried = await repos.agreementProposals.sign(task.id, holder.id, "holder", "0xholder");
      assert.equal(retried.complete, true);
      assert.equal(await repos.agreementProposals.unsignedCount(task.id), 0);
      const agreements = await database.db
        .selectFrom("agreements")
        .selectAll()
        .where("task_id", "=", task.id)
        .execute();
      assert.equal(agreements.length, 1);
      assert.equal(agreements[0]?.holder_signature, "0xholder");
      assert.deepEqual(
        (await repos.agreementProposals.listForTask(task.id)).map((row) => row.holderId),
        [holder.id],
      );
      assert.equal((await repos.agreementProposals.listForHolder(holder.id)).length, 1);
    });

    it("charges a holder's privacy once per task", async () => {
      const { task, holder } = await taskAndHolder();
      const charge = {
        holderId: holder.id,
        taskId: task.id,
        epsilon: 1.5,
        delta: 1e-5,
        mechanism: { q: 0.1, sigma: 1.1, steps: 100 },
      };
      assert.equal(await repos.privacyCharges.charge(charge), true);
      assert.equal(await repos.privacyCharges.charge({ ...charge, epsilon: 9 }), false);
      const charges = await repos.privacyCharges.listForHolder(holder.id);
      assert.equal(charges.length, 1);
      assert.equal(charges[0]?.epsilon, 1.5);
      assert.deepEqual(charges[0]?.mechanism, charge.mechanism);
      const second = await repos.tasks.create(newTask());
      assert.equal(
        await repos.privacyCharges.charge({ ...charge, taskId: second.id, mechanism: null }),
        true,
      );
      assert.equal((await repos.privacyCharges.listForHolder(holder.id)).length, 2);
    });

    it("confirms a funding once; a retry returns the first", async () => {
      const { task } = await taskAndHolder();
      assert.equal(await repos.taskFundings.find(task.id), undefined);
      const big = 2n ** 200n;
      const first = await repos.taskFundings.confirm({
        taskId: task.id,
        gate: "sandbox",
        reference: "sandbox-1",
        amount: big,
      });
      const retry = await repos.taskFundings.confirm({
        taskId: task.id,
        gate: "sandbox",
        reference: "sandbox-2",
        amount: 1n,
      });
      assert.equal(first.amount, big);
      assert.equal(retry.reference, "sandbox-1");
      assert.equal(retry.amount, big);
      assert.equal((await repos.taskFundings.find(task.id))?.gate, "sandbox");
    });

    it("records agent decisions and lists them by task, agent and cursor", async () => {
      const { task } = await taskAndHolder();
      const decision = (agent: "guardian" | "orchestrator", kind: string) => ({
        taskId: task.id,
        agent,
        party: "0xparty",
        kind,
        source: "policy" as const,
        verdict: "fallback" as const,
        proposal: null,
        decision: { price: "10" },
        rationale: `${agent} ${kind}`,
        violations: [],
      });
      const first = await repos.agentDecisions.record(decision("guardian", "bid"));
      await repos.agentDecisions.record(decision("orchestrator", "counter"));
      await repos.agentDecisions.record({
        ...decision("guardian", "respond"),
        violations: ["over budget"],
        verdict: "rejected",
        source: "advisor",
        proposal: { price: "99" },
      });
      const all = await repos.agentDecisions.list({ taskId: task.id });
      assert.deepEqual(
        all.map((row) => row.kind),
        ["bid", "counter", "respond"],
      );
      assert.deepEqual(all[2]?.violations, ["over budget"]);
      assert.deepEqual(all[2]?.proposal, { price: "99" });
      assert.equal(
        (await repos.agentDecisions.list({ taskId: task.id, agent: "guardian" })).length,
        2,
      );
      assert.deepEqual(
        (await repos.agentDecisions.list({ taskId: task.id, after: first.id })).map(
          (row) => row.kind,
        ),
        ["counter", "respond"],
      );
      assert.equal((await repos.agentDecisions.list({ taskId: task.id, limit: 1 })).length, 1);
    });
  });
}
