import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { sql } from "kysely";
import { AuditLog } from "../../services/audit/audit-log.ts";
import { serveChain } from "../../services/settlement/chain/chain-rpc-server.ts";
import { openDatabase } from "../../services/store/database.ts";
import { migrateToLatest } from "../../services/store/migrate.ts";
import { type SettledTask, seedSettledTask } from "../audit/settled-task.ts";
import { type EscrowWorld, startEscrowWorld } from "../contracts/escrow-fixture.ts";
import { expectExit, runAgora } from "./run-agora.ts";

/** Hardhat's well-known development key of account 2, a seated auditor in the escrow world. */
const auditorKey = "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a";

describe("agora audit", () => {
  let world: EscrowWorld;
  let rpc: { url: string; close(): Promise<void> };
  let dataDir: string;
  let fair: SettledTask;
  let unfair: SettledTask;
  const env = () => ({
    AGORA_DATA_DIR: dataDir,
    AGORA_PRIVATE_KEY: auditorKey,
    AGORA_ESCROW_ADDRESS: world.owner.address,
    CHAIN_RPC_URL: rpc.url,
    DATABASE_URL: "",
  });

  before(async () => {
    world = await startEscrowWorld();
    rpc = await serveChain(world.chain);
    dataDir = await mkdtemp(join(tmpdir(), "agora-audit-cli-"));
    const store = await openDatabase({ dataDir: join(dataDir, "pglite") });
    await migrateToLatest(store.db);
    fair = await seedSettledTask(store.db, world);
    unfair = await seedSettledTask(store.db, world, "free-rider-bonus");
    await new AuditLog(store.db).append({
      kind: "task.settled",
      taskId: fair.taskId,
      actor: "system",
      payload: {},
    });
    await store.close();
  });
  after(async () => {
    await rpc?.close();
    await world?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it("attests a fair task with --submit and prints where the signed report is", async () => {
    assert.equal(world.addresses.auditors[0], "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC");
    const run = expectExit(
      await runAgora(
        ["audit", fair.taskId, "--submit", "--recompute", "recorded-utilities", "--json"],
        env(),
      ),
      0,
    );
    const summary = JSON.parse(run.stdout) as {
      verdict: string;
      reportHash: string;
      chainAction: { kind: string };
      files: { json: string };
    };
    assert.equal(summary.verdict, "attest");
    assert.equal(summary.chainAction.kind, "attested");
    assert.ok(summary.files.json.endsWith(`${summary.reportHash}.json`));
    assert.equal(
      await world.owner.hasAttested(fair.chainTaskId, world.addresses.auditors[0] as string),
      true,
    );
    const verified = expectExit(
      await runAgora(["audit", "verify-report", summary.files.json], env()),
      0,
    );
    assert.match(verified.stdout, /verifies: signed by 0x3C44/);
  });

  it("disputes an unfair task and exits 4 with audit_disputed", async () => {
    const run = expectExit(
      await runAgora(
        ["audit", unfair.taskId, "--submit", "--recompute", "recorded-utilities"],
        env(),
      ),
      4,
    );
    assert.match(run.stdout, /verdict:\s+dispute/);
    assert.match(run.stdout, /on chain:\s+disputed/);
    assert.match(run.stderr, /The audit found problems .*audit_disputed/);
    assert.match(run.stderr, /free_rider_bonus/);
    assert.equal((await world.owner.getTask(unfair.chainTaskId)).status, "disputed");
  });

  it("verifies the log, names a tampered entry, and explains bad usage", async () => {
    const clean = expectExit(await runAgora(["audit", "verify-log"], env()), 0);
    assert.match(clean.stdout, /verdict:\s+verifies/);
    const store = await openDatabase({ dataDir: join(dataDir, "pglite") });
    const first = (await new AuditLog(store.db).entries())[0];
    await sql`update audit_events set actor = 'mallory' where seq = ${first?.seq}`.execute(
      store.db,
    );
    await store.close();
    const tampered = expectExit(await runAgora(["audit", "verify-log", "--json"], env()), 4);
    const result = JSON.parse(tampered.stdout) as { ok: boolean; problems: { problem: string }[] };
    assert.equal(result.ok, false);
    assert.deepEqual(
      result.problems.map((problem) => problem.problem),
      ["edited"],
    );
    assert.match(tampered.stderr, /audit_log_tampered/);

    const noKey = expectExit(
      await runAgora(["audit", fair.taskId], { ...env(), AGORA_PRIVATE_KEY: "" }),
      1,
    );
    assert.match(noKey.stderr, /no key/);
    const badEscrow = expectExit(
      await runAgora(["audit", fair.taskId, "--escrow", "nope"], env()),
      1,
    );
    assert.match(badEscrow.stderr, /--escrow must be an Ethereum address/);
    const missing = expectExit(await runAgora(["audit", "no-such-task"], env()), 2);
    assert.match(missing.stderr, /Task not found/);
  });
});
