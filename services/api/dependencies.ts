import type { Redis } from "ioredis";
import pino, { type Logger } from "pino";
import { createRedisConnection, waitUntilReady } from "../../queues/connection.ts";
import { QueueRegistry } from "../../queues/queue-registry.ts";
import type { Config } from "../config/config.ts";
import {
  type Coordinator,
  type CoordinatorDependencies,
  startCoordinator,
} from "../coordinator/coordinator.ts";
import { connectSettlementRails, type SettlementRails } from "../coordinator/settlement-rails.ts";
import { type NonceStore, RedisNonceStore } from "../identity/nonce-store.ts";
import { AllowlistRoleResolver } from "../identity/roles.ts";
import { loadSessionSecret } from "../identity/session-secret.ts";
import { SessionTokens } from "../identity/session-tokens.ts";
import { SiweVerifier } from "../identity/siwe-verifier.ts";
import { createMarketServices, type MarketServices } from "../market/market-services.ts";
import type { EscrowClient } from "../settlement/chain/escrow-client.ts";
import { type OpenDatabase, openDatabase } from "../store/database.ts";
import { migrateToLatest } from "../store/migrate.ts";

/** Everything a request handler may use, built once per process and closed on shutdown. */
export interface ApiDependencies {
  config: Config;
  logger: Logger;
  database: OpenDatabase;
  /** General client connection: nonces, rate limits, readiness. */
  redis: Redis;
  queues: QueueRegistry;
  sessions: SessionTokens;
  nonces: NonceStore;
  siwe: SiweVerifier;
  /** Tasks, holders, bids, negotiation and agreements. */
  market: MarketServices;
  /** Rounds, scoring and settlement; absent when AGORA_COORDINATOR is `off`. */
  coordinator: Coordinator | undefined;
  /**
   * The escrow chain tasks are funded in, the coordinator deposits must name and the confirmations
   * funding waits for; absent without a chain connection. Owners read it at GET /settlement/chain.
   */
  chainRail: ChainRail | undefined;
  /** Origin clients sign in to, e.g. `http://127.0.0.1:8080`. */
  publicUrl: URL;
  /** Set when shutdown begins, so /readyz turns away new traffic while we drain. */
  state: { shuttingDown: boolean };
  /** Run at shutdown before connections close, e.g. to drain in-process workers. */
  shutdownHooks: Array<() => Promise<void>>;
  close(): Promise<void>;
}

/** The chain side of settlement as owners see it (see `ApiDependencies.chainRail`). */
export interface ChainRail {
  escrow: EscrowClient;
  chainId: bigint;
  coordinator: string;
  confirmations: number;
}

export interface DependencyOverrides {
  /** Use PGlite in memory instead of AGORA_DATA_DIR (tests). */
  inMemoryDatabase?: boolean;
  /** PostgreSQL schema (tests give each run its own). */
  databaseSchema?: string;
  logger?: Logger;
  /** The coordinator's blob store and validation set (tests give it small ones). */
  coordinator?: Pick<CoordinatorDependencies, "blobs" | "validation">;
}

export async function createDependencies(
  config: Config,
  publicUrl: URL,
  overrides: DependencyOverrides = {},
): Promise<ApiDependencies> {
  const logger = overrides.logger ?? pino({ level: config.LOG_LEVEL, name: "agora" });
  const database = await openDatabase({
    url: config.DATABASE_URL,
    dataDir: overrides.inMemoryDatabase ? undefined : `${config.AGORA_DATA_DIR}/pglite`,
    schema: overrides.databaseSchema,
  });
  const applied = await migrateToLatest(database.db);
  if (applied.length > 0) logger.info({ migrations: applied }, "database migrated");

  const redis = createRedisConnection({ url: config.REDIS_URL, role: "client" });
  const producer = createRedisConnection({ url: config.REDIS_URL, role: "producer" });
  // ioredis emits connection errors as events; without listeners they would crash the process.
  for (const connection of [redis, producer]) {
    connection.on("error", (error) =>
      logger.warn({ err: error.message }, "redis connection error"),
    );
  }
  // Start even if Redis is down (so /readyz can say so), but give it a moment to connect.
  await Promise.all([waitUntilReady(redis, 2_000), waitUntilReady(producer, 2_000)]).catch(
    (error: Error) => logger.warn({ err: error.message }, "redis not ready at start-up"),
  );
  const queues = new QueueRegistry({ connection: producer, prefix: config.AGORA_QUEUE_PREFIX });
  const sessions = new SessionTokens(
    await loadSessionSecret({
      configured: config.AGORA_JWT_SECRET,
      dataDir: config.AGORA_DATA_DIR,
    }),
    config.AGORA_SESSION_TTL_S,
  );
  const nonces = new RedisNonceStore(redis, { prefix: config.AGORA_QUEUE_PREFIX });
  const siwe = new SiweVerifier({
    domain: publicUrl.host,
    chainId: config.AGORA_CHAIN_ID,
    nonces,
    roles: new AllowlistRoleResolver({
      operators: config.AGORA_OPERATORS,
      auditors: config.AGORA_AUDITORS,
    }),
  });

  // Let go of what was opened so far when a later part of start-up fails.
  const abandon = async () => {
    await queues.close();
    producer.disconnect();
    redis.disconnect();
    await database.close();
  };
  // One connection per rail for the whole process: the funding gates read the
  // chain with the same client the coordinator settles with.
  let rails: SettlementRails;
  try {
    rails = await connectSettlementRails(config, database.db, logger);
  } catch (error) {
    await abandon();
    throw error;
  }
  const chain = rails.settlement.chain;
  const market = createMarketServices({
    db: database.db,
    redis,
    chainId: config.AGORA_CHAIN_ID,
    keyPrefix: config.AGORA_QUEUE_PREFIX,
    chainFunding:
      chain === undefined || rails.chainAccount === undefined
        ? undefined
        : {
            escrow: chain.escrow,
            provider: chain.provider,
            coordinator: rails.chainAccount,
            confirmations: config.AGORA_FUNDING_CONFIRMATIONS,
            ...(chain.fromBlock !== undefined && { fromBlock: chain.fromBlock }),
          },
    stripeFunding: rails.rails.includes("stripe"),
  });

  let coordinator: Coordinator | undefined;
  if (config.AGORA_COORDINATOR !== "off") {
    try {
      coordinator = await startCoordinator(config, {
        db: database.db,
        logger,
        rails,
        ...overrides.coordinator,
      });
    } catch (error) {
      await rails.close();
      await abandon();
      throw error;
    }
  }

  const shutdownHooks: Array<() => Promise<void>> = [];
  return {
    config,
    logger,
    database,
    redis,
    queues,
    sessions,
    nonces,
    siwe,
    market,
    coordinator,
    chainRail:
      chain === undefined || rails.chainAccount === undefined
        ? undefined
        : {
            escrow: chain.escrow,
            chainId: chain.chainId,
            coordinator: rails.chainAccount,
            confirmations: config.AGORA_FUNDING_CONFIRMATIONS,
          },
    publicUrl,
    state: { shuttingDown: false },
    shutdownHooks,
    async close() {
      for (const hook of shutdownHooks.splice(0)) await hook();
      // Before the database closes: a round being archived or a payout being booked finishes first.
      await coordinator?.close();
      await rails.close();
      await abandon();
    },
  };
}
