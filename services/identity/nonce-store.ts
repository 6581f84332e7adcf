import { randomBytes } from "node:crypto";
import type { Redis } from "ioredis";

/**
 * Single-use sign-in nonces. A nonce is issued with a lifetime and can be
 * consumed exactly once; consuming is atomic, so two racing logins with the
 * same signed message cannot both succeed.
 */
export interface NonceStore {
  issue(): Promise<{ nonce: string; expiresAt: Date }>;
  /** True exactly once for an issued, unexpired nonce. */
  consume(nonce: string): Promise<boolean>;
}

export interface RedisNonceStoreOptions {
  /** Key prefix; tests use their own. */
  prefix: string;
  /** How long an unused nonce stays valid, in seconds. Default 300. */
  ttlSeconds?: number;
}

// SIWE requires at least 8 alphanumeric characters; 128 bits of randomness in base-36.
const newNonce = (): string => BigInt(`0x${randomBytes(16).toString("hex")}`).toString(36);

export class RedisNonceStore implements NonceStore {
  readonly #redis: Redis;
  readonly #prefix: string;
  readonly #ttlSeconds: number;

  constructor(redis: Redis, options: RedisNonceStoreOptions) {
    this.#redis = redis;
    this.#prefix = options.prefix;
    this.#ttlSeconds = options.ttlSeconds ?? 300;
  }

  async issue(): Promise<{ nonce: string; expiresAt: Date }> {
    const nonce = newNonce();
    await this.#redis.set(this.#key(nonce), "1", "EX", this.#ttlSeconds, "NX");
    return { nonce, expiresAt: new Date(Date.now() + this.#ttlSeconds * 1000) };
  }

  async consume(nonce: string): Promise<boolean> {
    // DEL is atomic: only the first caller sees 1.
    return (await this.#redis.del(this.#key(nonce))) === 1;
  }

  #key(nonce: string): string {
    return `${this.#prefix}:siwe-nonce:${nonce}`;
  }
}
