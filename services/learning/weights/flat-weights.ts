import { createHash } from "node:crypto";
import { AgoraError } from "../../errors/agora-error.ts";

/**
 * Weights travel as one flat little-endian Float32 vector, in the order of
 * the model's `getWeights()`, named by the SHA-256 of its bytes. The same bytes
 * always give the same name, so storing an update twice is storing it once.
 */
export type FlatWeights = Float32Array;

const littleEndian = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** SHA-256 hex digest of raw bytes. */
export const sha256Hex = (bytes: Uint8Array): string =>
  createHash("sha256").update(bytes).digest("hex");

/** The bytes that travel and are hashed. */
export function encodeWeights(weights: FlatWeights): Uint8Array {
  if (!littleEndian) {
    throw new AgoraError("internal", "Big-endian hosts are not supported for weight vectors");
  }
  return new Uint8Array(weights.buffer, weights.byteOffset, weights.byteLength);
}

/** Reads bytes back into an aligned vector (copies, so the result owns its buffer). */
export function decodeWeights(bytes: Uint8Array): FlatWeights {
  if (bytes.byteLength % 4 !== 0) {
    throw new AgoraError("invalid", "Not a Float32 weight vector", {
      detail: `${bytes.byteLength} bytes is not a multiple of 4.`,
    });
  }
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  return new Float32Array(copy.buffer);
}

/** The content hash a weight vector is stored and referenced under. */
export const weightsHash = (weights: FlatWeights): string => sha256Hex(encodeWeights(weights));
