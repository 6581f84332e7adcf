import { AgoraError } from "../../errors/agora-error.ts";
import { gaussian, type Rng } from "../util/random.ts";
import { l2Norm } from "../weights/vector-math.ts";

/** The DP terms of an agreement: clip to `clipNorm` (C), noise std `noiseMultiplier × C`. */
export interface DpParameters {
  clipNorm: number;
  noiseMultiplier: number;
  /** Where the Gaussian noise is added: by each holder to its own update, or once at aggregation. */
  noiseAt: "holder" | "aggregator";
}

export function assertDpParameters(dp: DpParameters): void {
  if (!(dp.clipNorm > 0) || !(dp.noiseMultiplier >= 0) || !Number.isFinite(dp.clipNorm)) {
    throw new AgoraError("invalid", "Invalid DP parameters", {
      detail: `clip norm ${dp.clipNorm} must be > 0, noise multiplier ${dp.noiseMultiplier} >= 0.`,
    });
  }
}

/** Scales `delta` so its L2 norm is at most `clipNorm`; returns a new vector and the norm before clipping. */
export function clipToNorm(
  delta: Float32Array,
  clipNorm: number,
): { clipped: Float32Array; norm: number } {
  const norm = l2Norm(delta);
  const factor = norm > clipNorm ? clipNorm / norm : 1;
  const clipped = new Float32Array(delta.length);
  for (let i = 0; i < delta.length; i++) clipped[i] = (delta[i] as number) * factor;
  return { clipped, norm };
}

/** Adds independent N(0, std²) noise to every coordinate, in place. */
export function addGaussianNoise(vector: Float32Array, std: number, rng: Rng): Float32Array {
  if (std === 0) return vector;
  for (let i = 0; i < vector.length; i++) vector[i] = (vector[i] as number) + std * gaussian(rng);
  return vector;
}

/**
 * A holder's side of client-level DP-FedAvg: clip the model delta to C and,
 * when the agreement puts the noise at the holder, add N(0, (σC)²).
 */
export function privatizeDelta(delta: Float32Array, dp: DpParameters, rng: Rng): Float32Array {
  assertDpParameters(dp);
  const { clipped } = clipToNorm(delta, dp.clipNorm);
  if (dp.noiseAt === "holder") addGaussianNoise(clipped, dp.noiseMultiplier * dp.clipNorm, rng);
  return clipped;
}
