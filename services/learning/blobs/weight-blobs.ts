import { decodeWeights, encodeWeights, type FlatWeights } from "../weights/flat-weights.ts";
import type { BlobStore, PutOptions } from "./blob-store.ts";

/** Stores a weight vector and returns its content hash (`handOver`: see PutOptions). */
export const putWeights = (
  store: BlobStore,
  weights: FlatWeights,
  options?: PutOptions,
): Promise<string> => store.put(encodeWeights(weights), options);

/**
 * Fetches a weight vector by content hash (verified by the store). The store
 * hands over bytes the caller owns, so an aligned buffer is viewed in place
 * rather than copied: the aggregator reads a whole round of updates this way.
 */
export async function getWeights(store: BlobStore, hash: string): Promise<FlatWeights> {
  const bytes = await store.get(hash);
  if (bytes.byteOffset % 4 !== 0 || bytes.byteLength % 4 !== 0) return decodeWeights(bytes);
  return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
}
