import type * as tf from "@tensorflow/tfjs";
import type { ModelKind } from "./architecture.ts";
import { buildModel } from "./build-model.ts";

/**
 * Reuses built models between jobs: building allocates every variable anew,
 * which costs more than training a small holder's epoch. A model is checked
 * out for the length of one job, so concurrent jobs never share one.
 */
const idle = new Map<string, tf.Sequential[]>();

export function acquireModel(kind: ModelKind, tier: number): tf.Sequential {
  const pool = idle.get(`${kind}/${tier}`);
  return pool?.pop() ?? buildModel(kind, tier);
}

export function releaseModel(kind: ModelKind, tier: number, model: tf.Sequential): void {
  const key = `${kind}/${tier}`;
  const pool = idle.get(key) ?? [];
  pool.push(model);
  idle.set(key, pool);
}

/** Disposes every idle model (call when switching backends: variables live on one backend). */
export function clearModelPool(): void {
  for (const pool of idle.values()) {
    for (const model of pool) model.dispose();
  }
  idle.clear();
}
