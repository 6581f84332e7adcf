import type { BlobStore, PutOptions } from "./blob-store.ts";

export interface CachedBlobStoreOptions {
  /**
   * Most bytes kept in memory; the least recently used blobs go first.
   * @default 64 MiB (a few global models: MNIST 2NN is 0.8 MB, the CNN 6.6 MB)
   */
  maxBytes?: number;
}

/**
 * Keeps recently verified blobs in memory in front of another store. Every
 * train job of a round starts from the same global model; without this each
 * of them reads the file again and hashes it again. Content addressing still
 * holds: a blob enters the cache only after the inner store verified it, and
 * callers get copies, so nobody can change the bytes a hash stands for.
 * Concurrent reads of one missing blob share one read of the inner store.
 */
export class CachedBlobStore implements BlobStore {
  readonly #inner: BlobStore;
  readonly #maxBytes: number;
  readonly #cached = new Map<string, Uint8Array>();
  readonly #reading = new Map<string, Promise<Uint8Array>>();
  #bytes = 0;

  constructor(inner: BlobStore, options: CachedBlobStoreOptions = {}) {
    this.#inner = inner;
    this.#maxBytes = options.maxBytes ?? 64 * 1024 * 1024;
  }

  /** Writes through without caching: a holder never reads its own update back. */
  put(bytes: Uint8Array, options?: PutOptions): Promise<string> {
    return this.#inner.put(bytes, options);
  }

  async get(hash: string): Promise<Uint8Array> {
    const hit = this.#cached.get(hash);
    if (hit !== undefined) {
      // Map order is recency order: move the hit to the back.
      this.#cached.delete(hash);
      this.#cached.set(hash, hit);
      return hit.slice();
    }
    let reading = this.#reading.get(hash);
    if (reading === undefined) {
      reading = this.#inner.get(hash).then((bytes) => {
        this.#remember(hash, bytes.slice());
        return bytes;
      });
      this.#reading.set(hash, reading);
      reading.then(
        () => this.#reading.delete(hash),
        () => this.#reading.delete(hash),
      );
    }
    return (await reading).slice();
  }

  has(hash: string): Promise<boolean> {
    return this.#cached.has(hash) ? Promise.resolve(true) : this.#inner.has(hash);
  }

  #remember(hash: string, bytes: Uint8Array): void {
    if (bytes.byteLength > this.#maxBytes || this.#cached.has(hash)) return;
    this.#cached.set(hash, bytes);
    this.#bytes += bytes.byteLength;
    for (const [oldest, old] of this.#cached) {
      if (this.#bytes <= this.#maxBytes) break;
      this.#cached.delete(oldest);
      this.#bytes -= old.byteLength;
    }
  }
}
