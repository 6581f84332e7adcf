import { Redis, type RedisOptions } from "ioredis";

/**
 * How a Redis connection will be used. BullMQ's guidance differs by role:
 * - `worker`: blocking commands; `maxRetriesPerRequest: null` so a Redis
 *   restart makes the worker wait and reconnect instead of throwing.
 * - `producer`: API requests that enqueue; `enableOfflineQueue: false` so an
 *   enqueue while Redis is down fails at once (and the caller answers 503)
 *   instead of hanging the request.
 * - `client`: everything else (nonces, rate limits, readiness), fail fast too.
 */
export type ConnectionRole = "worker" | "producer" | "client";

export interface RedisConnectionOptions {
  url: string;
  role: ConnectionRole;
  /** Name shown in `CLIENT LIST`, to find a process's connections. */
  connectionName?: string;
}

export function createRedisConnection(options: RedisConnectionOptions): Redis {
  const common: RedisOptions = {
    connectionName: options.connectionName ?? `agora-${options.role}`,
    // Backoff capped at 2 s: quick recovery without hammering a restarting server.
    retryStrategy: (attempt) => Math.min(attempt * 100, 2_000),
    lazyConnect: false,
  };
  const byRole: Record<ConnectionRole, RedisOptions> = {
    worker: { maxRetriesPerRequest: null, enableReadyCheck: true },
    producer: { maxRetriesPerRequest: 1, enableOfflineQueue: false },
    client: { maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 2_000 },
  };
  return new Redis(options.url, { ...common, ...byRole[options.role] });
}

/** Resolves once the connection is ready, or rejects after `timeoutMs`. */
export async function waitUntilReady(redis: Redis, timeoutMs = 5_000): Promise<void> {
  if (redis.status === "ready") return;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`Redis not ready after ${timeoutMs} ms (status ${redis.status})`));
    }, timeoutMs);
    const onReady = () => {
      cleanup();
      resolve();
    };
    const cleanup = () => {
      clearTimeout(timer);
      redis.off("ready", onReady);
    };
    redis.on("ready", onReady);
  });
}
