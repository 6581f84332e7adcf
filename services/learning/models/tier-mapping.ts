import { AgoraError } from "../../errors/agora-error.ts";
import { logicalShapes, type ModelKind, parameterCount } from "./architecture.ts";

/**
 * HeteroFL-style width slicing: the sub-model of a tier takes the first k
 * units/channels of every hidden axis. `tierIndexMap` lists, for each flat
 * coordinate of the sub-model, its flat coordinate in the full model.
 */
const cache = new Map<string, Int32Array>();

export function tierIndexMap(kind: ModelKind, tier: number): Int32Array {
  const key = `${kind}/${tier}`;
  const cached = cache.get(key);
  if (cached !== undefined) return cached;
  const full = logicalShapes(kind, 0);
  const sub = logicalShapes(kind, tier);
  const map = new Int32Array(parameterCount(kind, tier));
  let subOffset = 0;
  let fullOffset = 0;
  for (let t = 0; t < full.length; t++) {
    const fullShape = full[t] as number[];
    const subShape = sub[t] as number[];
    const fullStrides = stridesOf(fullShape);
    // Walk the sub-tensor in row-major order, carrying the full-tensor offset.
    const walk = (axis: number, base: number): void => {
      const extent = subShape[axis] as number;
      const stride = fullStrides[axis] as number;
      if (axis === subShape.length - 1) {
        for (let i = 0; i < extent; i++) map[subOffset++] = fullOffset + base + i * stride;
        return;
      }
      for (let i = 0; i < extent; i++) walk(axis + 1, base + i * stride);
    };
    walk(0, 0);
    fullOffset += fullShape.reduce((a, b) => a * b, 1);
  }
  cache.set(key, map);
  return map;
}

function stridesOf(shape: number[]): number[] {
  const strides = new Array<number>(shape.length).fill(1);
  for (let axis = shape.length - 2; axis >= 0; axis--) {
    strides[axis] = (strides[axis + 1] as number) * (shape[axis + 1] as number);
  }
  return strides;
}

/** The tier's sub-model weights, cut out of full-model weights. */
export function extractTier(full: Float32Array, kind: ModelKind, tier: number): Float32Array {
  assertLength(full, parameterCount(kind, 0), "full model");
  const map = tierIndexMap(kind, tier);
  // The full tier maps every coordinate to itself: a plain copy, not a gather.
  if (map.length === full.length) return full.slice();
  const sub = new Float32Array(map.length);
  for (let i = 0; i < map.length; i++) sub[i] = full[map[i] as number] as number;
  return sub;
}

/**
 * Places sub-model weights into a copy of `base` (the global model) and
 * returns which full coordinates the sub-model covers, so aggregation can
 * average each coordinate over the holders that trained it.
 */
export function embedTier(
  sub: Float32Array,
  base: Float32Array,
  kind: ModelKind,
  tier: number,
): { weights: Float32Array; coverage: Uint8Array } {
  const map = tierIndexMap(kind, tier);
  assertLength(sub, map.length, `tier ${tier} model`);
  assertLength(base, parameterCount(kind, 0), "full model");
  const weights = Float32Array.from(base);
  const coverage = new Uint8Array(base.length);
  for (let i = 0; i < map.length; i++) {
    const target = map[i] as number;
    weights[target] = sub[i] as number;
    coverage[target] = 1;
  }
  return { weights, coverage };
}

function assertLength(vector: Float32Array, expected: number, what: string): void {
  if (vector.length !== expected) {
    throw new AgoraError("invalid", "Weight vector does not fit the model", {
      detail: `${what} has ${expected} parameters, got ${vector.length}.`,
    });
  }
}
