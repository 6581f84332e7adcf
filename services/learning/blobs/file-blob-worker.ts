/**
 * Body of a blob thread (see file-blob-threads.ts): hashes, writes and reads
 * blob files with plain synchronous calls, which is what a thread of its own
 * is for. It knows nothing of errors beyond a code the caller turns into an
 * AgoraError, so both paths of FileBlobStore fail the same way.
 */
import { createHash, randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parentPort } from "node:worker_threads";

export type BlobRequest =
  | { id: number; op: "put"; root: string; bytes: ArrayBuffer }
  | { id: number; op: "get"; root: string; hash: string };

export type BlobReply =
  | { id: number; hash: string }
  | { id: number; bytes: ArrayBuffer }
  | { id: number; error: "not_found" | "corrupt" | "failed"; message: string };

const madeDirs = new Set<string>();
const sha256Hex = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

function put(root: string, bytes: Uint8Array): string {
  const hash = sha256Hex(bytes);
  const dir = join(root, hash.slice(0, 2));
  if (!madeDirs.has(dir)) {
    mkdirSync(dir, { recursive: true });
    madeDirs.add(dir);
  }
  const path = join(dir, hash);
  const temporary = `${path}.${randomBytes(6).toString("hex")}.tmp`;
  try {
    writeFileSync(temporary, bytes);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    mkdirSync(dir, { recursive: true });
    writeFileSync(temporary, bytes);
  }
  renameSync(temporary, path);
  return hash;
}

function answer(request: BlobRequest): { reply: BlobReply; transfer: ArrayBuffer[] } {
  try {
    if (request.op === "put") {
      return {
        reply: { id: request.id, hash: put(request.root, new Uint8Array(request.bytes)) },
        transfer: [],
      };
    }
    let bytes: Buffer;
    try {
      bytes = readFileSync(join(request.root, request.hash.slice(0, 2), request.hash));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") {
        return {
          reply: { id: request.id, error: "not_found", message: request.hash },
          transfer: [],
        };
      }
      throw error;
    }
    if (sha256Hex(bytes) !== request.hash) {
      return { reply: { id: request.id, error: "corrupt", message: request.hash }, transfer: [] };
    }
    // A fresh buffer of exactly these bytes, handed over without a copy.
    const owned = new Uint8Array(bytes).buffer;
    return { reply: { id: request.id, bytes: owned }, transfer: [owned] };
  } catch (error) {
    return {
      reply: { id: request.id, error: "failed", message: (error as Error).message },
      transfer: [],
    };
  }
}

parentPort?.on("message", (request: BlobRequest) => {
  const { reply, transfer } = answer(request);
  parentPort?.postMessage(reply, transfer);
});
