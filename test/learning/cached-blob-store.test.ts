import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isAgoraError } from "../../services/errors/agora-error.ts";
import type { BlobStore } from "../../services/learning/blobs/blob-store.ts";
import { CachedBlobStore } from "../../services/learning/blobs/cached-blob-store.ts";
import { sha256Hex } from "../../services/learning/weights/flat-weights.ts";

/** An inner store that counts reads and can be told to lie about a blob. */
function countingStore() {
  const blobs = new Map<string, Uint8Array>();
  const store = {
    reads: 0,
    async put(bytes: Uint8Array) {
      const hash = sha256Hex(bytes);
      blobs.set(hash, bytes.slice());
      return hash;
    },
    async get(hash: string) {
      store.reads++;
      const bytes = blobs.get(hash);
      if (bytes === undefined) throw new Error("not found");
      // Verifies, as every BlobStore must.
      if (sha256Hex(bytes) !== hash) throw new Error("corrupt");
      return bytes.slice();
    },
    async has(hash: string) {
      return blobs.has(hash);
    },
    corrupt(hash: string) {
      blobs.set(hash, new Uint8Array([1, 2, 3]));
    },
  } satisfies BlobStore & Record<string, unknown>;
  return store;
}

describe("CachedBlobStore", () => {
  it("reads a blob from the inner store once, however many jobs ask at the same time", async () => {
    const inner = countingStore();
    const cache = new CachedBlobStore(inner);
    const hash = await cache.put(new Uint8Array([5, 6, 7, 8]));
    const copies = await Promise.all(Array.from({ length: 10 }, () => cache.get(hash)));
    assert.equal(inner.reads, 1);
    for (const copy of copies) assert.deepEqual(copy, new Uint8Array([5, 6, 7, 8]));
    await cache.get(hash);
    assert.equal(inner.reads, 1);
  });

  it("hands out copies, so a caller cannot change what a hash stands for", async () => {
    const cache = new CachedBlobStore(countingStore());
    const hash = await cache.put(new Uint8Array([1, 1, 1, 1]));
    const first = await cache.get(hash);
    first.fill(9);
    assert.deepEqual(await cache.get(hash), new Uint8Array([1, 1, 1, 1]));
  });

  it("caches only verified bytes and drops the least recently used past its budget", async () => {
    const inner = countingStore();
    const cache = new CachedBlobStore(inner, { maxBytes: 8 });
    const a = await cache.put(new Uint8Array(4).fill(1));
    const b = await cache.put(new Uint8Array(4).fill(2));
    const c = await cache.put(new Uint8Array(4).fill(3));
    inner.corrupt(c);
    await assert.rejects(cache.get(c), /corrupt/);
    await cache.get(a);
    await cache.get(b);
    assert.equal(inner.reads, 3);
    await cache.get(a);
    await cache.get(b);
    assert.equal(inner.reads, 3, "a and b fit in 8 bytes");
    await assert.rejects(cache.get("f".repeat(64)), (e) => !isAgoraError(e));
  });
});
