import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { sql } from "kysely";
import { AuditLog } from "../../services/audit/audit-log.ts";
import { canonicalJson } from "../../services/audit/canonical-json.ts";
import { databaseBackends, type TestDatabase } from "../support/databases.ts";

const backends = await databaseBackends();

describe("canonical JSON", () => {
  it("encodes equal values identically whatever their key order", () => {
    assert.equal(
      canonicalJson({ b: 1, a: { d: [1, 2n], c: new Date(0) }, skip: undefined }),
      '{"a":{"c":"1970-01-01T00:00:00.000Z","d":[1,"2"]},"b":1}',
    );
    assert.equal(canonicalJson({ x: 1, y: 2 }), canonicalJson({ y: 2, x: 1 }));
    assert.throws(() => canonicalJson({ bad: Number.NaN }), TypeError);
  });
});

for (const backend of backends) {
  describe(`hash-chained audit log on ${backend.name}`, { skip: backend.skip }, () => {
    let database: TestDatabase;
    let log: AuditLog;
    before(async () => {
      database = await backend.open();
      log = new AuditLog(database.db);
    });
    after(() => database?.dispose());

    const appendSome = async (count: number) => {
      for (let i = 0; i < count; i++) {
        await log.append({
          kind: "bid.received",
          taskId: "task-1",
          actor: `0x${String(i).padStart(40, "0")}`,
          payload: { price: 10n ** 30n + BigInt(i), reasons: ["coverage", "speed"], i },
        });
      }
    };
    const tamper = (statement: ReturnType<typeof sql>) => statement.execute(database.db);

    it("chains concurrent appends without forks and verifies clean", async () => {
      await Promise.all(
        Array.from({ length: 12 }, (_, i) =>
          log.append({
            kind: "round.closed",
            taskId: "task-0",
            actor: "system",
            payload: { round: i },
          }),
        ),
      );
      await appendSome(3);
      const result = await log.verify();
      assert.deepEqual(result.problems, []);
      assert.equal(result.ok, true);
      assert.equal(result.entries, 15);
      const entries = await log.entries();
      assert.equal(result.head, entries.at(-1)?.hash);
      assert.equal(new Set(entries.map((entry) => entry.prevHash)).size, 15);
      assert.equal(
        (await log.entries({ taskId: "task-1" }))[0]?.payload.price,
        (10n ** 30n).toString(),
      );
    });

    it("names an edited entry", async () => {
      const target = (await log.entries())[4];
      await tamper(
        sql`update audit_events set payload = jsonb_set(payload, '{round}', '99') where seq = ${target?.seq}`,
      );
      const result = await log.verify();
      assert.equal(result.ok, false);
      assert.deepEqual(
        result.problems.map((p) => [p.seq, p.problem]),
        [[target?.seq, "edited"]],
      );
      await tamper(
        sql`update audit_events set payload = ${JSON.stringify(target?.payload)}::jsonb where seq = ${target?.seq}`,
      );
      assert.equal((await log.verify()).ok, true);
    });

    it("names the entry after a removed one, and both entries of a swap", async () => {
      const entries = await log.entries();
      const removed = entries[7];
      const after = entries[8];
      await tamper(sql`delete from audit_events where seq = ${removed?.seq}`);
      const afterRemoval = await log.verify();
      assert.deepEqual(
        afterRemoval.problems.map((p) => [p.seq, p.problem]),
        [[after?.seq, "broken_link"]],
      );
      // Move two later entries into each other's place (all columns but seq).
      const [x, y] = [entries[10], entries[11]];
      const place = async (seq: bigint | undefined, entry: typeof x, hash: string | undefined) =>
        tamper(sql`
          update audit_events set kind = ${entry?.kind}, actor = ${entry?.actor},
            payload = ${JSON.stringify(entry?.payload)}::jsonb, prev_hash = ${entry?.prevHash},
            hash = ${hash}, occurred_at = ${entry?.occurredAt}
          where seq = ${seq}`);
      // The hash column is unique, so park one entry on a placeholder first.
      await place(x?.seq, y, "0".repeat(64));
      await place(y?.seq, x, x?.hash);
      await place(x?.seq, y, y?.hash);
      const afterSwap = await log.verify();
      const flagged = afterSwap.problems.map((p) => p.seq);
      assert.ok(flagged.includes(x?.seq as bigint) && flagged.includes(y?.seq as bigint));
      assert.ok(afterSwap.problems.every((p) => p.problem === "broken_link"));
    });
  });
}
