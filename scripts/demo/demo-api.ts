import { randomBytes } from "node:crypto";
import { mkdir, rm } from "node:fs/promises";
import { join, resolve } from "node:path";
import { createRedisConnection, waitUntilReady } from "../../queues/connection.ts";
import { type RunningServer, startServer } from "../../services/api/server.ts";
import { type Config, loadConfig } from "../../services/config/config.ts";
import { mnistDemoValidation } from "../../services/learning/contribution/validation-reference.ts";
import type { DemoChain } from "./demo-chain.ts";

/** The API as the demo runs it, and the environment its holders' workers share. */
export interface DemoApi {
  running: RunningServer;
  config: Config;
  /** What a holder's worker process would be started with: same Redis, prefix and data dir. */
  workerEnv: NodeJS.ProcessEnv;
  /** Absolute URL of an API path. */
  url(path: string): string;
  /** Stops the API, removes this run's Redis keys and (unless kept) the model blobs. */
  close(options: { keepBlobs: boolean }): Promise<void>;
}

/** Settings that would point the demo at something other than its own embedded world. */
const foreignSettings = [
  "DATABASE_URL",
  "STRIPE_SECRET_KEY",
  "STRIPE_WEBHOOK_SECRET",
  "STRIPE_API_BASE",
  "LLM_BASE_URL",
  "LLM_API_KEY",
  "LLM_MODEL",
  "PUBLIC_URL",
];

/**
 * Starts the API with its coordinator on the demo's defaults: PGlite in a
 * fresh `<AGORA_DATA_DIR>/demo` folder, the local Redis under a prefix of
 * its own, the chain rail on the demo chain, the demo auditor appointed, and
 * the deterministic policy agents (no LLM). Port 8080 when free, else any.
 */
export async function startDemoApi(
  chain: DemoChain,
  options: { auditor: string; validationSize: number; port?: number },
): Promise<DemoApi> {
  const base = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !foreignSettings.includes(name)),
  );
  const dataDir = resolve(process.env.AGORA_DATA_DIR ?? ".data", "demo");
  // The demo's own scratch folder: each run starts from an empty database.
  await rm(dataDir, { recursive: true, force: true });
  await mkdir(dataDir, { recursive: true });
  const env = {
    ...base,
    NODE_ENV: "development",
    HOST: "127.0.0.1",
    LOG_LEVEL: process.env.LOG_LEVEL ?? "error",
    AGORA_DATA_DIR: dataDir,
    AGORA_QUEUE_PREFIX: `agora-demo-${randomBytes(4).toString("hex")}`,
    AGORA_AUDITORS: options.auditor,
    // Every demo party calls from 127.0.0.1: one client IP for twenty holders.
    AGORA_RATE_LIMIT_PER_MIN: "100000",
    AGORA_CHAIN_ID: chain.chainId.toString(),
    CHAIN_RPC_URL: chain.rpc.url,
    CHAIN_PRIVATE_KEY: chain.coordinator.privateKey,
    AGORA_ESCROW_ADDRESS: chain.escrow,
    AGORA_ESCROW_FROM_BLOCK: String(chain.escrowFromBlock),
    AGORA_AUDIT_ANCHOR_ADDRESS: chain.anchor,
    // Claims can land after the task settled; book them within seconds, not a minute.
    AGORA_LATE_CLAIMS_EVERY_S: "2",
    // Anchor the audit log's head every few seconds, so the end of the demo is anchored too.
    AGORA_AUDIT_ANCHOR_EVERY_S: "3",
  };
  let config = loadConfig({ ...env, PORT: String(options.port ?? 8080) });
  // The owner's validation set: the demo seed's, at the demo's size (the coordinator's default is 1,000).
  const validation = mnistDemoValidation({
    seed: config.AGORA_FL_DEMO_SEED,
    validationSize: options.validationSize,
  });
  const overrides = { coordinator: { validation: () => validation } };
  let running: RunningServer;
  try {
    running = await startServer(config, overrides);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EADDRINUSE" || options.port !== undefined)
      throw error;
    config = loadConfig({ ...env, PORT: "0" });
    running = await startServer(config, overrides);
  }
  return {
    running,
    config,
    workerEnv: { ...env, PORT: "0" },
    url: (path) => new URL(path, running.url).href,
    async close({ keepBlobs }) {
      await running.close();
      // Every key this run wrote is under its prefix: remove them so the shared Redis stays clean.
      const redis = createRedisConnection({ url: config.REDIS_URL, role: "client" });
      try {
        await waitUntilReady(redis);
        let cursor = "0";
        do {
          const [next, keys] = await redis.scan(
            cursor,
            "MATCH",
            `${config.AGORA_QUEUE_PREFIX}:*`,
            "COUNT",
            1000,
          );
          if (keys.length > 0) await redis.del(...keys);
          cursor = next;
        } while (cursor !== "0");
      } finally {
        await redis.quit();
      }
      // Model blobs are large and only needed to recompute; the database and reports stay.
      if (!keepBlobs) await rm(join(dataDir, "blobs"), { recursive: true, force: true });
    },
  };
}
