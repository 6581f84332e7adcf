import { AgoraError } from "../../errors/agora-error.ts";

/**
 * The models Agora trains, and their size tiers. Tier 0 is the full model;
 * tier 1 keeps half the width of every hidden layer (HeteroFL), so a weak
 * holder trains a sub-model whose weights are a slice of the full one.
 */
export const modelKinds = ["mnist-2nn", "mnist-cnn"] as const;
export type ModelKind = (typeof modelKinds)[number];

/** Width factor of each tier; index = tier number. */
export const tierWidths: readonly number[] = [1, 0.5];

export const inputSize = 784;
export const classCount = 10;

/** True for models made only of dense layers (the WASM backend can train those). */
export const isDenseOnly = (kind: ModelKind): boolean => kind === "mnist-2nn";

export function assertModelKind(kind: string): ModelKind {
  if (!(modelKinds as readonly string[]).includes(kind)) {
    throw new AgoraError("invalid", "Unknown model", {
      detail: `"${kind}" is not one of ${modelKinds.join(", ")}.`,
    });
  }
  return kind as ModelKind;
}

export function widthOfTier(tier: number): number {
  const width = tierWidths[tier];
  if (width === undefined) {
    throw new AgoraError("invalid", "Unknown model tier", {
      detail: `tier ${tier} is not one of 0..${tierWidths.length - 1}.`,
    });
  }
  return width;
}

/** Hidden widths: 2NN [h1, h2] (McMahan: 200, 200); CNN [conv1, conv2, dense] (32, 64, 512). */
export function hiddenWidths(kind: ModelKind, tier: number): number[] {
  const width = widthOfTier(tier);
  const full = kind === "mnist-2nn" ? [200, 200] : [32, 64, 512];
  return full.map((units) => Math.round(units * width));
}

/**
 * Every weight tensor's shape, in `getWeights()` order, written with the
 * structure its axes really have: the CNN's dense kernel after `flatten` is
 * `[7, 7, channels, units]` rather than `[7*7*channels, units]`, so slicing
 * each axis by prefix maps a sub-model's weights into the full model's.
 */
export function logicalShapes(kind: ModelKind, tier: number): number[][] {
  if (kind === "mnist-2nn") {
    const [h1, h2] = hiddenWidths(kind, tier) as [number, number];
    return [[inputSize, h1], [h1], [h1, h2], [h2], [h2, classCount], [classCount]];
  }
  const [c1, c2, units] = hiddenWidths(kind, tier) as [number, number, number];
  return [
    [5, 5, 1, c1],
    [c1],
    [5, 5, c1, c2],
    [c2],
    [7, 7, c2, units],
    [units],
    [units, classCount],
    [classCount],
  ];
}

const product = (shape: number[]): number => shape.reduce((a, b) => a * b, 1);

/** Number of parameters of a model at a tier. */
export const parameterCount = (kind: ModelKind, tier: number): number =>
  logicalShapes(kind, tier).reduce((sum, shape) => sum + product(shape), 0);
