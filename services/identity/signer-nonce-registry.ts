import type { Redis } from "ioredis";

/**
 * Remembers which (signer, nonce) pairs were used, so a signed message is
 * accepted once. Nonces are unordered (any unused value works, as in Permit2),
 * which lets a holder sign bids for several tasks concurrently. A record only
 * has to outlive the message's expiry; after that the expiry check rejects it.
 */
export interface SignerNonceRegistry {
  /** True the first time; false if this signer already used this nonce in this scope. */
  use(scope: string, signer: string, nonce: bigint, expiresAt: Date): Promise<boolean>;
}

export class RedisSignerNonceRegistry implements SignerNonceRegistry {
  readonly #redis: Redis;
  readonly #prefix: string;

  constructor(redis: Redis, options: { prefix: string }) {
    this.#redis = redis;
    this.#prefix = options.prefix;
  }

  async use(scope: string, signer: string, nonce: bigint, expiresAt: Date): Promise<boolean> {
    const key = `${this.#prefix}:eip712-nonce:${scope}:${signer.toLowerCase()}:${nonce}`;
    // Keep the record a minute past expiry to absorb clock skew between nodes.
    const keepUntil = Math.max(expiresAt.getTime(), Date.now()) + 60_000;
    return (await this.#redis.set(key, "1", "PXAT", keepUntil, "NX")) === "OK";
  }
}
