import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { AgoraError } from "../../services/errors/agora-error.ts";
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
