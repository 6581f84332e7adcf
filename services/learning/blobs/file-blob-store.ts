import { randomBytes } from "node:crypto";
import { mkdir, readFile, rename, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { AgoraError } from "../../errors/agora-error.ts";
import { sha256Hex } from "../weights/flat-weights.ts";
import type { BlobStore, PutOptions } from "./blob-store.ts";
import { FileBlobThreads } from "./file-blob-threads.ts";

export interface FileBlobStoreOptions {
  /**
   * Threads that hash, write and read blobs off the event loop. Worth it in
   * an aggregator (it verifies every update of a round) and wherever several
   * holders' workers share a process.
   * @default 0 (everything on the calling thread)
   */
  threads?: number;
}

const hashPattern = /^[0-9a-f]{64}$/;

/**
 * Blobs as files `<root>/<first two hex>/<hash>`. Writes go to a temporary
 * file first and are renamed into place, so a reader never sees half a blob
 * and two writers of the same bytes cannot corrupt each other.
 */
export class FileBlobStore implements BlobStore {
  readonly root: string;
  /** Shard directories already created by this instance: one `mkdir` each, not one per blob. */
  readonly #madeDirs = new Set<string>();
  readonly #threads: FileBlobThreads | undefined;

  constructor(root: string, options: FileBlobStoreOptions = {}) {
    this.root = root;
    const threads = Math.floor(options.threads ?? 0);
    this.#threads = threads > 0 ? new FileBlobThreads(threads) : undefined;
  }

  /** Stops the threads, if any (they never keep a process alive while idle). */
  async close(): Promise<void> {
    await this.#threads?.close();
  }

  /** The default location under the data directory (`AGORA_DATA_DIR/blobs`). */
  static inDataDir(dataDir: string): FileBlobStore {
    return new FileBlobStore(join(dataDir, "blobs"));
  }

  #path(hash: string): string {
    if (!hashPattern.test(hash)) {
      throw new AgoraError("invalid", "Invalid blob hash", {
        detail: `"${hash}" is not a SHA-256 hex digest.`,
      });
    }
    return join(this.root, hash.slice(0, 2), hash);
  }

  /**
   * No existence check first: a missing file (the usual case for an update)
   * makes `stat` throw, which costs more than it saves, and renaming the same
   * bytes over an existing blob changes nothing a reader can see.
   */
  async put(bytes: Uint8Array, options: PutOptions = {}): Promise<string> {
    if (this.#threads !== undefined) {
      return this.#threads.put(this.root, bytes, options.handOver === true);
    }
    const hash = sha256Hex(bytes);
    const path = this.#path(hash);
    const dir = join(this.root, hash.slice(0, 2));
    const temporary = `${path}.${randomBytes(6).toString("hex")}.tmp`;
    if (!this.#madeDirs.has(dir)) await this.#makeDir(dir);
    try {
      await writeFile(temporary, bytes);
    } catch (error) {
      // Someone removed the directory since we made it: make it again, once.
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
      await this.#makeDir(dir);
      await writeFile(temporary, bytes);
    }
    await rename(temporary, path);
    return hash;
  }

  async #makeDir(dir: string): Promise<void> {
    await mkdir(dir, { recursive: true });
    this.#madeDirs.add(dir);
  }

  async get(hash: string): Promise<Uint8Array> {
    const path = this.#path(hash);
    if (this.#threads !== undefined) return this.#threads.get(this.root, hash);
    let bytes: Buffer;
    try {
      bytes = await readFile(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") {
        throw new AgoraError("not_found", "Blob not found", { detail: hash, cause: error });
      }
      throw error;
    }
    if (sha256Hex(bytes) !== hash) {
      throw new AgoraError("internal", "Blob is corrupt", {
        detail: `${hash} does not match its content.`,
      });
    }
    return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  async has(hash: string): Promise<boolean> {
    try {
      await stat(this.#path(hash));
      return true;
    } catch {
      return false;
    }
  }
}
