import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import pg from "pg";
import { type OpenDatabase, openDatabase } from "../../../services/store/database.ts";
import { dropSchema } from "../../support/databases.ts";
import { testPostgresUrl, testRedisUrl, uniqueName } from "../../support/environment.ts";
import { freePort } from "../../support/free-port.ts";
import { ProcessBook, type Spawned } from "./child-processes.ts";

/** How many shares the MNIST demo split has: one per holder of the e2e tasks. */
export const demoShares = 3;

/** How long a child may take to start on a loaded 2-core machine (tfjs, MNIST, migrations). */
const startTimeoutMs = 60_000;

export interface DeploymentOptions {
  /** Redis for queues; default the test Redis. */
  redisUrl?: string;
}

/**
 * One Agora deployment made of real processes, as an operator runs it:
 * `agora serve` and `agora worker --holder <id>` children sharing a
 * PostgreSQL schema, a Redis key prefix and a data directory of their own.
 * The API keeps its port across restarts, so clients keep their URL.
 */
export class Deployment {
  readonly processes = new ProcessBook();
  readonly schema: string;
  readonly prefix: string;
  readonly dataDir: string;
  readonly port: number;
  readonly apiUrl: string;
  readonly redisUrl: string;
  readonly env: Record<string, string>;
  #store: OpenDatabase | undefined;

  private constructor(fields: {
    schema: string;
    prefix: string;
    dataDir: string;
    port: number;
    redisUrl: string;
  }) {
    this.schema = fields.schema;
    this.prefix = fields.prefix;
    this.dataDir = fields.dataDir;
    this.port = fields.port;
    this.redisUrl = fields.redisUrl;
    this.apiUrl = `http://127.0.0.1:${fields.port}`;
    const database = new URL(testPostgresUrl());
    // libpq's `options` pins every pooled connection to the schema, migrations included.
    database.searchParams.set("options", `-c search_path=${fields.schema}`);
    this.env = {
      NODE_ENV: "test",
      LOG_LEVEL: "warn",
      HOST: "127.0.0.1",
      PORT: String(fields.port),
      DATABASE_URL: database.href,
      REDIS_URL: fields.redisUrl,
      AGORA_QUEUE_PREFIX: fields.prefix,
      AGORA_DATA_DIR: fields.dataDir,
      // Fixed for the deployment, so sessions survive an API restart as they would in production.
      AGORA_JWT_SECRET: randomBytes(32).toString("hex"),
      AGORA_FL_DEMO_HOLDERS: String(demoShares),
      AGORA_FL_DEMO_SEED: fields.prefix,
    };
  }

  static async create(label: string, options: DeploymentOptions = {}): Promise<Deployment> {
    const schema = uniqueName(`agora_e2e_${label}`);
    // The API would create it too, but the URL's search_path needs it to exist first.
    const admin = new pg.Client({ connectionString: testPostgresUrl() });
    await admin.connect();
    try {
      await admin.query(`create schema if not exists "${schema}"`);
    } finally {
      await admin.end();
    }
    return new Deployment({
      schema,
      prefix: uniqueName(`agora_e2e_${label}`),
      dataDir: await mkdtemp(join(tmpdir(), "agora-e2e-")),
      port: await freePort(),
      redisUrl: options.redisUrl ?? testRedisUrl(),
    });
  }

  /** `agora serve`; resolves once it listens. */
  async startApi(name = "api"): Promise<Spawned> {
    const api = this.processes.agora(name, ["serve"], this.env);
    await api.waitFor(/Agora API listening on/, startTimeoutMs);
    return api;
  }

  /** `agora worker --holder <id> --demo-partition <i>`; resolves once it is ready. */
  async startWorker(holderId: string, partition: number, name = holderId): Promise<Spawned> {
    const worker = this.processes.agora(
      name,
      ["worker", "--holder", holderId, "--demo-partition", String(partition)],
      this.env,
    );
    await worker.waitFor(/holder worker ready/, startTimeoutMs);
    return worker;
  }

  /** The deployment's database, read by the test to check what the processes stored. */
  async store(): Promise<OpenDatabase> {
    this.#store ??= await openDatabase({
      url: testPostgresUrl(),
      schema: this.schema,
      maxConnections: 2,
    });
    return this.#store;
  }

  /** Kills every child, then removes the schema, the data directory and the Redis keys. */
  async dispose(): Promise<void> {
    await this.processes.killAll();
    await this.#store?.close();
    await dropSchema(testPostgresUrl(), this.schema).catch(() => {});
    await rm(this.dataDir, { recursive: true, force: true });
    const redis = new Redis(this.redisUrl, { maxRetriesPerRequest: 1, lazyConnect: true });
    try {
      await redis.connect();
      const keys = await redis.keys(`${this.prefix}*`);
      if (keys.length > 0) await redis.del(...keys);
    } catch {
      // A private Redis that is already gone takes its keys with it.
    } finally {
      redis.disconnect();
    }
  }
}
