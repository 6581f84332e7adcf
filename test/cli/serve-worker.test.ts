import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { Redis } from "ioredis";
import { ProcessBook } from "../e2e/support/child-processes.ts";
import { testRedisUrl, uniqueName } from "../support/environment.ts";
import { freePort } from "../support/free-port.ts";
import { expectExit, runAgora } from "./run-agora.ts";

/**
 * `agora serve` and `agora worker`: the long-running commands. They start
 * from the environment, say when they are ready, refuse bad settings with
 * exit 1 and unreachable services with exit 3, and stop with exit 0 on
 * SIGTERM or SIGINT after draining.
 */
describe("agora serve and agora worker", () => {
  const processes = new ProcessBook();
  const prefix = uniqueName("agora_test_cli_serve");
  let dataDir: string;
  const env = (): Record<string, string> => ({
    NODE_ENV: "test",
    LOG_LEVEL: "warn",
    REDIS_URL: testRedisUrl(),
    AGORA_QUEUE_PREFIX: prefix,
    AGORA_DATA_DIR: dataDir,
    AGORA_JWT_SECRET: randomBytes(32).toString("hex"),
    AGORA_FL_DEMO_HOLDERS: "3",
  });

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "agora-cli-serve-"));
  });
  after(async () => {
    await processes.killAll();
    await rm(dataDir, { recursive: true, force: true });
    const redis = new Redis(testRedisUrl());
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  });

  it("serves the API with its coordinator until SIGTERM, then exits 0", async () => {
    const port = await freePort();
    const api = processes.agora("serve", ["serve", "--port", String(port), "--json"], env());
    await api.waitFor(/"url"/, 60_000);
    const ready = JSON.parse(api.stdout()) as {
      url: string;
      database: string;
      coordinator: string[];
    };
    assert.deepEqual(ready, {
      url: `http://127.0.0.1:${port}/`,
      database: "pglite",
      coordinator: ["sandbox"],
    });
    const health = await fetch(new URL("/readyz", ready.url));
    assert.equal(health.status, 200, await health.text());

    const clash = expectExit(await runAgora(["serve", "--port", String(port)], env()), 1);
    assert.match(clash.stderr, new RegExp(`port ${port} on 127.0.0.1 is in use`));

    assert.deepEqual(await api.stop("SIGTERM"), { code: 0, signal: null }, api.output());
  });

  it("refuses bad settings with exit 1 and an unreachable database with exit 3", async () => {
    const badPort = expectExit(await runAgora(["serve", "--port", "http"], env()), 1);
    assert.match(badPort.stderr, /expected a whole number from 0 to 65535/);
    const halfStripe = expectExit(
      await runAgora(["serve"], { ...env(), STRIPE_SECRET_KEY: "sk_test_1" }),
      1,
    );
    assert.match(
      halfStripe.stderr,
      /Invalid configuration: STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET/,
    );
    const deadPort = await freePort();
    const noDatabase = expectExit(
      await runAgora(["serve", "--port", "0"], {
        ...env(),
        DATABASE_URL: `postgres://postgres@127.0.0.1:${deadPort}/test`,
      }),
      3,
    );
    assert.match(noDatabase.stderr, /the database at DATABASE_URL did not answer/);
  });

  it("runs a holder's worker on its demo share until SIGINT, then exits 0", async () => {
    const worker = processes.agora(
      "worker",
      ["worker", "--holder", "holder-b1e2", "--demo-partition", "2"],
      env(),
    );
    await worker.waitFor(/holder worker ready: holder-b1e2/, 60_000);
    assert.match(worker.stdout(), /queue:\s+train\.holder-b1e2/);
    assert.match(worker.stdout(), /data:\s+MNIST demo share 2 \(\d+ examples\)/);
    assert.deepEqual(await worker.stop("SIGINT"), { code: 0, signal: null }, worker.output());
  });

  it("explains a worker's bad options (exit 1) and an unreachable Redis (exit 3)", async () => {
    const noHolder = expectExit(await runAgora(["worker"], env()), 1);
    assert.match(noHolder.stderr, /required option '--holder <id>' not specified/);
    const unknownShare = expectExit(await runAgora(["worker", "--holder", "holder-x"], env()), 1);
    assert.match(unknownShare.stderr, /choose its share with --demo-partition/);
    const outOfRange = expectExit(
      await runAgora(["worker", "--holder", "holder-x", "--demo-partition", "3"], env()),
      1,
    );
    assert.match(outOfRange.stderr, /the demo split has 3 shares/);
    const noRedis = expectExit(
      await runAgora(["worker", "--holder", "holder-1", "--connect-timeout", "1"], {
        ...env(),
        REDIS_URL: `redis://127.0.0.1:${await freePort()}`,
      }),
      3,
    );
    assert.match(noRedis.stderr, /Redis did not answer within 1 s/);
  });
});
