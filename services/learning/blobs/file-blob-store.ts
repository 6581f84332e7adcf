import { randomBytes } from "node:crypto";
import { mkdir, readFile, rename, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { AgoraError } from "../../errors/agora-error.ts";
import { sha256Hex } from "../weights/flat-weights.ts";
import type { BlobStore } from "./blob-store.ts";

const hashPattern = /^[0-9a-f]{64}$/;

/**
 * Blobs as files `<root>/<first two hex>/<hash>`. Writes go to a temporary
 * file first and are renamed into place, so a reader never sees half a blob
 * and two writers of the same bytes cannot corrupt each other.
 */
export class FileBlobStore implements BlobStore {
  readonly root: string;

  constructor(root: string) {
    this.root = root;
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

  async put(bytes: Uint8Array): Promise<string> {
    const hash = sha256Hex(bytes);
    const path = this.#path(hash);
    if (await this.has(hash)) return hash;
    await mkdir(join(this.root, hash.slice(0, 2)), { recursive: true });
    const temporary = `${path}.${randomBytes(6).toString("hex")}.tmp`;
    await writeFile(temporary, bytes);
    await rename(temporary, path);
    return hash;
  }

  async get(hash: string): Promise<Uint8Array> {
    const path = this.#path(hash);
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
