import { Worker } from "node:worker_threads";
import { AgoraError } from "../../errors/agora-error.ts";
import type { BlobReply, BlobRequest } from "./file-blob-worker.ts";

type Pending = { resolve: (reply: BlobReply) => void; reject: (error: Error) => void };
type Request = BlobRequest extends infer R
  ? R extends BlobRequest
    ? Omit<R, "id">
    : never
  : never;

/**
 * Threads that hash, write and read blob files for FileBlobStore, so that
 * SHA-256 over megabytes of weights (twice per update: the holder names it,
 * the aggregator verifies it) and the file calls around it leave the event
 * loop free for the queues. Bytes cross by transfer, not by copy; a put
 * copies once first, unless the caller hands its array over.
 *
 * A thread keeps the process alive only while it has work, so a finished
 * script exits as it would without them.
 */
export class FileBlobThreads {
  readonly #workers: Worker[] = [];
  readonly #pending = new Map<number, Pending>();
  readonly #busy = new Map<Worker, number>();
  #nextId = 1;
  #next = 0;

  constructor(threads: number) {
    for (let i = 0; i < threads; i++) {
      const worker = new Worker(new URL("./file-blob-worker.ts", import.meta.url), {
        name: "agora-blobs",
      });
      worker.unref();
      worker.on("message", (reply: BlobReply) => this.#settle(worker, reply));
      worker.on("error", (error) => this.#failAll(error));
      this.#workers.push(worker);
      this.#busy.set(worker, 0);
    }
  }

  /** `handOver`: the caller gave up `bytes`, so a buffer they fill whole moves without a copy. */
  async put(root: string, bytes: Uint8Array, handOver = false): Promise<string> {
    const moved = handOver && ownsWholeBuffer(bytes) ? bytes.buffer : bytes.slice().buffer;
    const reply = await this.#ask({ op: "put", root, bytes: moved }, [moved]);
    if ("hash" in reply) return reply.hash;
    throw toError(reply as BlobFailure);
  }

  async get(root: string, hash: string): Promise<Uint8Array> {
    const reply = await this.#ask({ op: "get", root, hash }, []);
    if ("bytes" in reply) return new Uint8Array(reply.bytes);
    throw toError(reply as BlobFailure);
  }

  async close(): Promise<void> {
    await Promise.all(this.#workers.map((worker) => worker.terminate()));
    this.#failAll(new Error("blob threads closed"));
  }

  #ask(request: Request, transfer: ArrayBuffer[]): Promise<BlobReply> {
    const worker = this.#workers[this.#next++ % this.#workers.length] as Worker;
    const id = this.#nextId++;
    const busy = (this.#busy.get(worker) ?? 0) + 1;
    this.#busy.set(worker, busy);
    if (busy === 1) worker.ref();
    return new Promise<BlobReply>((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      worker.postMessage({ ...request, id }, transfer);
    });
  }

  #settle(worker: Worker, reply: BlobReply): void {
    const busy = (this.#busy.get(worker) ?? 1) - 1;
    this.#busy.set(worker, busy);
    if (busy === 0) worker.unref();
    const pending = this.#pending.get(reply.id);
    this.#pending.delete(reply.id);
    pending?.resolve(reply);
  }

  #failAll(error: Error): void {
    for (const pending of this.#pending.values()) pending.reject(error);
    this.#pending.clear();
  }
}

/**
 * Whether moving `bytes.buffer` moves exactly these bytes: a view into a
 * larger buffer (Node's pooled Buffers among them) would take its
 * neighbours along, and a shared buffer cannot be moved at all.
 */
function ownsWholeBuffer(bytes: Uint8Array): bytes is Uint8Array<ArrayBuffer> {
  return (
    bytes.buffer instanceof ArrayBuffer &&
    bytes.byteOffset === 0 &&
    bytes.byteLength === bytes.buffer.byteLength
  );
}

type BlobFailure = Extract<BlobReply, { error: string }>;

function toError(reply: BlobFailure): Error {
  if (reply.error === "not_found") {
    return new AgoraError("not_found", "Blob not found", { detail: reply.message });
  }
  if (reply.error === "corrupt") {
    return new AgoraError("internal", "Blob is corrupt", {
      detail: `${reply.message} does not match its content.`,
    });
  }
  return new Error(reply.message);
}
