import assert from "node:assert/strict";
import { readdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { isAgoraError } from "../../services/errors/agora-error.ts";
import { FileBlobStore } from "../../services/learning/blobs/file-blob-store.ts";
import { getWeights, putWeights } from "../../services/learning/blobs/weight-blobs.ts";
import { sha256Hex } from "../../services/learning/weights/flat-weights.ts";
import { uniqueName } from "../support/environment.ts";

const roots: string[] = [];
const freshRoot = () => {
  const root = `/tmp/${uniqueName("agora_blobs")}`;
  roots.push(root);
  return root;
};

describe("file blob store, on the calling thread and on blob threads", () => {
  after(async () => {
    await Promise.all(roots.map((root) => rm(root, { recursive: true, force: true })));
  });

  for (const threads of [0, 2]) {
    it(`${threads} threads: names blobs by SHA-256, reads them back, and refuses what is missing or altered`, async () => {
      const root = freshRoot();
      const store = new FileBlobStore(root, { threads });
      try {
        const weights = Float32Array.from({ length: 50_000 }, (_, i) => Math.sin(i));
        const hash = await putWeights(store, weights);
        assert.equal(hash, sha256Hex(new Uint8Array(weights.buffer)));
        // The caller keeps its array: a put copies before anything crosses threads.
        assert.equal(weights.length, 50_000);
        assert.equal(weights[1], Math.fround(Math.sin(1)));
        assert.deepEqual(await getWeights(store, hash), weights);
        assert.equal(await putWeights(store, weights), hash, "the same bytes, the same name");
        const files = await readdir(join(root, hash.slice(0, 2)));
        assert.deepEqual(files, [hash], "one file, no temporary left behind");

        const absent = "0".repeat(64);
        await assert.rejects(store.get(absent), (e) => isAgoraError(e) && e.kind === "not_found");
        await assert.rejects(store.get("nope"), (e) => isAgoraError(e) && e.kind === "invalid");
        await writeFile(join(root, hash.slice(0, 2), hash), new Uint8Array([1, 2, 3]));
        await assert.rejects(store.get(hash), (e) => isAgoraError(e) && e.kind === "internal");
      } finally {
        await store.close();
      }
    });
  }

  it("both paths read each other's files (same layout)", async () => {
    const root = freshRoot();
    const inline = new FileBlobStore(root);
    const threaded = new FileBlobStore(root, { threads: 1 });
    try {
      const a = await putWeights(inline, Float32Array.from([1, 2, 3]));
      const b = await putWeights(threaded, Float32Array.from([4, 5, 6]));
      assert.deepEqual([...(await getWeights(threaded, a))], [1, 2, 3]);
      assert.deepEqual([...(await getWeights(inline, b))], [4, 5, 6]);
      // Many requests in flight at once come back to their own callers.
      const many = Array.from({ length: 40 }, (_, i) => Float32Array.from([i, i + 0.5]));
      const hashes = await Promise.all(many.map((w) => putWeights(threaded, w)));
      const back = await Promise.all(hashes.map((h) => getWeights(threaded, h)));
      assert.deepEqual(back, many);
    } finally {
      await threaded.close();
    }
  });
});
