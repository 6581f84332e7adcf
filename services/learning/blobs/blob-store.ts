/**
 * Content-addressed storage for global models and holder updates: a blob is
 * named by the SHA-256 of its bytes, so `put` is idempotent and a reader can
 * check what it got. The filesystem store is the default; an object store
 * (S3, GCS) adapter implements the same interface.
 */
export interface BlobStore {
  /** Stores bytes and returns their SHA-256 hex name; storing the same bytes again is a no-op. */
  put(bytes: Uint8Array): Promise<string>;
  /**
   * The bytes named `hash`, verified against it; the caller owns them (no
   * other reader sees changes). AgoraError `not_found` when absent, `internal` when corrupt.
   */
  get(hash: string): Promise<Uint8Array>;
  has(hash: string): Promise<boolean>;
}
