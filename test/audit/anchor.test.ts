import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { sql } from "kysely";
import { verifyAgainstAnchor } from "../../services/audit/anchor/anchored-log-verification.ts";
import { AuditAnchorer } from "../../services/audit/anchor/audit-anchorer.ts";
import { AuditLog, entryHash } from "../../services/audit/audit-log.ts";
import { AgoraError } from "../../services/errors/agora-error.ts";
import {
  AuditAnchorClient,
  deployAuditAnchor,
} from "../../services/settlement/chain/audit-anchor-client.ts";
import {
  type EmbeddedChain,
  startEmbeddedChain,
} from "../../services/settlement/chain/embedded-chain.ts";
import { TransactionSender } from "../../services/settlement/chain/transaction-sender.ts";
import { databaseBackends, type TestDatabase } from "../support/databases.ts";

const backends = await databaseBackends();

for (const backend of backends) {
  describe(`audit-log anchoring on ${backend.name}`, { skip: backend.skip }, () => {
    let database: TestDatabase;
    let chain: EmbeddedChain;
    let log: AuditLog;
    let anchors: AuditAnchorClient;
    let anchorer: AuditAnchorer;
    before(async () => {
      [database, chain] = await Promise.all([backend.open(), startEmbeddedChain()]);
      const signer = chain.signers[0];
      assert.ok(signer !== undefined);
      const sender = new TransactionSender(signer, { retryDelayMs: 5 });
      anchors = await AuditAnchorClient.at(await deployAuditAnchor(sender), sender);
      log = new AuditLog(database.db);
      anchorer = new AuditAnchorer(log, anchors);
    });
    after(() => Promise.all([database?.dispose(), chain?.close()]));

    const append = async (count: number) => {
      for (let i = 0; i < count; i++) {
        await log.append({
          kind: "payout.planned",
          taskId: "task-a",
          actor: "system",
          payload: { i },
        });
      }
    };

    it("anchors a changed head once and leaves an unchanged one alone", async () => {
      assert.deepEqual(await anchorer.anchorOnce(), { kind: "empty" });
      await append(5);
      const first = await anchorer.anchorOnce();
      assert.equal(first.kind, "anchored");
      assert.equal(first.kind === "anchored" && first.entryCount, 5);
      const repeat = await anchorer.anchorOnce();
      assert.equal(repeat.kind, "unchanged");
      assert.equal(await anchors.count(), 1);
      // A retried send of the same head finds it anchored and sends nothing.
      const head = (await log.verify()).head as string;
      assert.equal((await anchors.anchor(head, 5)).kind, "already-applied");

      await append(2);
      const outcomes: string[] = [];
      const periodic = anchorer.start({
        intervalMs: 10,
        onOutcome: (outcome) => outcomes.push(outcome.kind),
        onError: (error) => outcomes.push(`error: ${String(error)}`),
      });
      while (outcomes.length < 2) await new Promise((resolve) => setTimeout(resolve, 10));
      await periodic.stop();
      assert.deepEqual(outcomes.slice(0, 2), ["anchored", "unchanged"]);
      assert.equal(await anchors.count(), 2);
      const latest = await anchors.latest();
      assert.equal(latest?.entryCount, 7);
      assert.equal((await verifyAgainstAnchor(log, anchors)).ok, true);
    });

    it("detects history rewritten before the anchor, which the hash chain alone cannot", async () => {
      const entries = await log.entries();
      // Rewrite entry 3 and recompute every later hash, so the chain is internally consistent.
      let prevHash = entries[1]?.hash ?? null;
      for (const entry of entries.slice(2)) {
        const payload = entry.seq === entries[2]?.seq ? { i: 99 } : entry.payload;
        const hash = entryHash(prevHash, { ...entry, payload });
        await sql`update audit_events set payload = ${JSON.stringify(payload)}::jsonb,
                  prev_hash = ${prevHash}, hash = ${hash} where seq = ${entry.seq}`.execute(
          database.db,
        );
        prevHash = hash;
      }
      const checked = await verifyAgainstAnchor(log, anchors);
      assert.equal(checked.log.ok, true, "the rewritten chain is consistent on its own");
      assert.equal(checked.ok, false);
      assert.match(
        checked.anchorProblem ?? "",
        /entry 7 .* history before the anchor was rewritten/,
      );
      await assert.rejects(anchorer.anchorOnce(), (error: unknown) => {
        assert.ok(error instanceof AgoraError && error.kind === "conflict");
        assert.match(error.detail ?? "", /rewritten/);
        return true;
      });
      assert.equal(await anchors.count(), 2, "a rewritten log is never anchored");

      // Put the original history back: it agrees with the anchor again.
      for (const entry of entries) {
        await sql`update audit_events set payload = ${JSON.stringify(entry.payload)}::jsonb,
                  prev_hash = ${entry.prevHash}, hash = ${entry.hash} where seq = ${entry.seq}`.execute(
          database.db,
        );
      }
      assert.equal((await verifyAgainstAnchor(log, anchors)).ok, true);
    });

    it("detects entries cut from the end of an anchored log", async () => {
      const entries = await log.entries();
      const last = entries.at(-1);
      await sql`delete from audit_events where seq = ${last?.seq}`.execute(database.db);
      const checked = await verifyAgainstAnchor(log, anchors);
      assert.equal(checked.log.ok, true, "a shorter chain still links up");
      assert.equal(checked.ok, false);
      assert.match(checked.anchorProblem ?? "", /covers 7 entries but the log holds only 6/);
    });

    it("names edited entries through the same verification", async () => {
      const target = (await log.entries())[1];
      await sql`update audit_events set actor = 'mallory' where seq = ${target?.seq}`.execute(
        database.db,
      );
      const checked = await verifyAgainstAnchor(log, anchors);
      assert.equal(checked.ok, false);
      assert.deepEqual(
        checked.log.problems.map((problem) => [problem.seq, problem.problem]),
        [[target?.seq, "edited"]],
      );
    });
  });
}
