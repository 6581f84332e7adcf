import { decodeWeights, encodeWeights, type FlatWeights } from "../weights/flat-weights.ts";
import type { BlobStore } from "./blob-store.ts";

/** Stores a weight vector and returns its content hash. */
export const putWeights = (store: BlobStore, weights: FlatWeights): Promise<string> =>
  store.put(encodeWeights(weights));

/** Fetches a weight vector by content hash (verified by the store). */
export const getWeights = async (store: BlobStore, hash: string): Promise<FlatWeights> =>
  decodeWeights(await store.get(hash));
