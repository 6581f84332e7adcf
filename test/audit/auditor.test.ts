import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { sql } from "kysely";
import { AuditLog } from "../../services/audit/audit-log.ts";
import { auditTask } from "../../services/audit/auditor/audit-task.ts";
import { recordedUtilityRecomputer } from "../../services/audit/auditor/recorded-utility-recomputer.ts";
import { runAudit } from "../../services/audit/auditor/run-audit.ts";
import { readReport } from "../../services/audit/report/report-files.ts";
import { signReport, verifyReport } from "../../services/audit/report/signed-report.ts";
import { readEscrowEvents } from "../../services/settlement/chain/event-reader.ts";
import { type EscrowWorld, startEscrowWorld } from "../contracts/escrow-fixture.ts";
import { databaseBackends, type TestDatabase } from "../support/databases.ts";
import { seedSettledTask } from "./settled-task.ts";

const backends = await databaseBackends();

for (const backend of backends) {
  describe(`auditor on ${backend.name}`, { skip: backend.skip }, () => {
    let database: TestDatabase;
    let world: EscrowWorld;
    let dataDir: string;
    before(async () => {
      [database, world] = await Promise.all([backend.open(), startEscrowWorld()]);
      dataDir = await mkdtemp(join(tmpdir(), "agora-audit-"));
    });
    after(async () => {
      await Promise.all([database?.dispose(), world?.close()]);
      await rm(dataDir, { recursive: true, force: true });
    });

    const auditorSigner = () =>
      world.chain.signers[2] as NonNullable<(typeof world.chain.signers)[2]>;
    const options = (submit: boolean) => ({
      db: database.db,
      signer: auditorSigner(),
      escrow: { client: world.auditors[0], chainId: world.chain.chainId },
      provider: world.chain.provider,
      recompute: recordedUtilityRecomputer,
      dataDir,
      submit,
      log: new AuditLog(database.db),
    });

    it("recomputes a fair task to the stored result, attests once, and signs a verifiable report", async () => {
      const settled = await seedSettledTask(database.db, world);
      const first = await auditTask(settled.taskId, options(true));
      const { report } = first.signed;
      assert.deepEqual(
        report.checks.map((check) => [check.check, check.status]),
        [
          ["contributions", "pass"],
          ["payouts", "pass"],
          ["privacy", "pass"],
          ["selection-bias", "pass"],
          ["fairness", "pass"],
          ["free-riders", "pass"],
        ],
        JSON.stringify(report.checks, null, 1),
      );
      assert.equal(report.verdict, "attest");
      const contributions = report.checks[0];
      assert.equal(contributions?.metrics.compared, 8);
      assert.equal(contributions?.metrics.largestDifference, 0);
      const payouts = report.checks[1]?.metrics ?? {};
      assert.equal(payouts.rebuiltRoot, settled.root);
      assert.equal(payouts.committedRoot, settled.root.toLowerCase());
      assert.deepEqual(report.checks[5]?.metrics.freeRiders, []);
      assert.equal(first.chainAction.kind, "attested");
      assert.equal(
        await world.owner.hasAttested(settled.chainTaskId, world.addresses.auditors[0] as string),
        true,
      );
      assert.equal((await world.owner.getTask(settled.chainTaskId)).attestations, 1);

      const again = await auditTask(settled.taskId, options(true));
      assert.equal(again.chainAction.kind, "already-attested");
      assert.equal((await world.owner.getTask(settled.chainTaskId)).attestations, 1);

      // The written report verifies; the HTML carries the verdict.
      const fromFile = await readReport(first.files.json);
      assert.deepEqual(verifyReport(fromFile, world.addresses.auditors[0]), {
        ok: true,
        recovered: world.addresses.auditors[0],
        problems: [],
      });
      assert.match(
        await readFile(first.files.html, "utf8"),
        /<span class="verdict attest">attest<\/span>/,
      );
      const logged = await new AuditLog(database.db).entries({ taskId: settled.taskId });
      assert.deepEqual(
        logged.map((entry) => [entry.kind, entry.payload.chainAction]),
        [
          ["audit.attest", "attested"],
          ["audit.attest", "already-attested"],
        ],
      );
    });

    it("rejects a modified report and a report signed by someone else", async () => {
      const settled = await seedSettledTask(database.db, world);
      const report = await runAudit(settled.taskId, {
        db: database.db,
        auditor: world.addresses.auditors[1] as string,
        escrow: { client: world.auditors[1], chainId: world.chain.chainId },
        recompute: recordedUtilityRecomputer,
      });
      const signed = await signReport(
        report,
        world.chain.signers[3] as NonNullable<(typeof world.chain.signers)[3]>,
      );
      assert.equal(verifyReport(signed).ok, true);
      const edited = structuredClone(signed);
      edited.report.verdict = "dispute";
      const verdictCheck = verifyReport(edited);
      assert.equal(verdictCheck.ok, false);
      assert.match(verdictCheck.problems.join(), /was modified/);
      const reworded = structuredClone(signed);
      (reworded.report.checks[1]?.metrics as Record<string, unknown>).rebuiltTotal = "1";
      assert.equal(verifyReport(reworded).ok, false);
      assert.equal(verifyReport(signed, world.addresses.auditors[0]).ok, false);
      await assert.rejects(
        signReport(report, world.chain.signers[2] as NonNullable<(typeof world.chain.signers)[2]>),
        /another auditor/,
      );
    });

    it("flags a free rider paid a bonus and disputes on chain with the report hash", async () => {
      const settled = await seedSettledTask(database.db, world, "free-rider-bonus");
      const fromBlock = await world.chain.provider.getBlockNumber();
      const outcome = await auditTask(settled.taskId, options(true));
      const { report } = outcome.signed;
      assert.equal(report.verdict, "dispute");
      const codes = report.checks.flatMap((check) => check.findings.map((finding) => finding.code));
      for (const code of ["free_rider_bonus", "payout_mismatch", "committed_root_mismatch"]) {
        assert.ok(codes.includes(code), `${code} missing from ${codes.join(", ")}`);
      }
      const freeRider = settled.holderIds[3];
      assert.deepEqual(report.checks[5]?.metrics.freeRiders, [freeRider]);
      assert.ok(
        report.reasons.some((reason) => reason.includes(`free_rider_bonus (${freeRider})`)),
      );
      assert.equal(report.checks[0]?.status, "pass", "contributions themselves are honest");
      assert.equal(outcome.chainAction.kind, "disputed");
      assert.equal((await world.owner.getTask(settled.chainTaskId)).status, "disputed");
      const disputes = await readEscrowEvents(world.chain.provider, world.owner, {
        fromBlock,
        taskId: settled.chainTaskId,
        names: ["TaskDisputed"],
      });
      assert.equal(disputes.length, 1);
      assert.equal(disputes[0]?.args.reasonHash, outcome.signed.reportHash);
      assert.equal(verifyReport(await readReport(outcome.files.json)).ok, true);

      const again = await auditTask(settled.taskId, options(true));
      assert.equal(again.chainAction.kind, "already-disputed");
    });

    it("flags a stored contribution that does not recompute, and stays off chain unless asked", async () => {
      const settled = await seedSettledTask(database.db, world);
      const holderId = settled.holderIds[1] as string;
      await sql`update contributions set score = score + 0.01
                where task_id = ${settled.taskId} and holder_id = ${holderId} and round = 1`.execute(
        database.db,
      );
      const outcome = await auditTask(settled.taskId, options(false));
      const contributions = outcome.signed.report.checks[0];
      assert.equal(contributions?.status, "fail");
      assert.deepEqual(
        contributions?.findings.map((finding) => [finding.code, finding.holderId]),
        [["contribution_mismatch", holderId]],
      );
      assert.equal(outcome.signed.report.verdict, "dispute");
      assert.equal(outcome.chainAction.kind, "not-submitted");
      assert.equal((await world.owner.getTask(settled.chainTaskId)).status, "committed");
    });

    it("is inconclusive without a recomputation", async () => {
      const settled = await seedSettledTask(database.db, world);
      const report = await runAudit(settled.taskId, {
        db: database.db,
        auditor: world.addresses.auditors[0] as string,
        escrow: { client: world.auditors[0], chainId: world.chain.chainId },
      });
      assert.equal(report.verdict, "inconclusive");
      assert.equal(report.checks[0]?.status, "skipped");
      await assert.rejects(
        runAudit("no-such-task", {
          db: database.db,
          auditor: world.addresses.auditors[0] as string,
        }),
        /Task not found/,
      );
    });
  });
}
