import { AgoraError } from "../../errors/agora-error.ts";

/**
 * Plain loops over Float32Array: strategies and DP touch hundreds of
 * thousands of coordinates per update, where tensors would only add copies.
 * Sums accumulate in float64 (JS numbers) before being stored.
 */
export function assertSameLength(a: Float32Array, b: Float32Array, what = "weight vectors"): void {
  if (a.length !== b.length) {
    throw new AgoraError("invalid", `Mismatched ${what}`, {
      detail: `lengths ${a.length} and ${b.length} differ.`,
    });
  }
}

export function subtract(a: Float32Array, b: Float32Array): Float32Array {
  assertSameLength(a, b);
  const out = new Float32Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = (a[i] as number) - (b[i] as number);
  return out;
}

export function add(a: Float32Array, b: Float32Array): Float32Array {
  assertSameLength(a, b);
  const out = new Float32Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = (a[i] as number) + (b[i] as number);
  return out;
}

export function scaled(a: Float32Array, factor: number): Float32Array {
  const out = new Float32Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = (a[i] as number) * factor;
  return out;
}

export function l2Norm(a: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += (a[i] as number) ** 2;
  return Math.sqrt(sum);
}

export function squaredDistance(a: Float32Array, b: Float32Array): number {
  assertSameLength(a, b);
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += ((a[i] as number) - (b[i] as number)) ** 2;
  return sum;
}
