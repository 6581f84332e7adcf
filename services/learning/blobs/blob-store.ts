/**
 * Content-addressed storage for global models and holder updates: a blob is
 * named by the SHA-256 of its bytes, so `put` is idempotent and a reader can
 * check what it got. The filesystem store is the default; an object store
 * (S3, GCS) adapter implements the same interface.
 */
export interface BlobStore {
  /** Stores bytes and returns their SHA-256 hex name; storing the same bytes again is a no-op. */
  put(bytes: Uint8Array, options?: PutOptions): Promise<string>;
  /**
   * The bytes named `hash`, verified against it; the caller owns them (no
   * other reader sees changes). AgoraError `not_found` when absent, `internal` when corrupt.
   */
  get(hash: string): Promise<Uint8Array>;
  has(hash: string): Promise<boolean>;
}

export interface PutOptions {
  /**
   * The caller never touches `bytes` (or the buffer under them) again: a
   * store that hands bytes to another thread may then move the buffer there,
   * detaching it, instead of copying megabytes. A holder's freshly trained
   * update is such a buffer; an array someone else still reads is not.
   * @default false (the caller keeps its bytes; the store copies)
   */
  handOver?: boolean;
}
