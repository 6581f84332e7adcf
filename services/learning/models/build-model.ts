import * as tf from "@tensorflow/tfjs";
import { AgoraError } from "../../errors/agora-error.ts";
import { classCount, hiddenWidths, inputSize, type ModelKind } from "./architecture.ts";

/**
 * The two models of McMahan et al. (2017), built with tfjs-layers. Outputs
 * are logits; the loss applies softmax. A seed makes initial weights
 * reproducible, so every run of a task starts from the same global model.
 */
export function buildModel(kind: ModelKind, tier: number, seed = 1): tf.Sequential {
  let layerSeed = seed;
  const init = () => tf.initializers.glorotUniform({ seed: layerSeed++ });
  if (kind === "mnist-2nn") {
    const [h1, h2] = hiddenWidths(kind, tier) as [number, number];
    return tf.sequential({
      layers: [
        tf.layers.dense({
          inputShape: [inputSize],
          units: h1,
          activation: "relu",
          kernelInitializer: init(),
        }),
        tf.layers.dense({ units: h2, activation: "relu", kernelInitializer: init() }),
        tf.layers.dense({ units: classCount, kernelInitializer: init() }),
      ],
    });
  }
  const [c1, c2, units] = hiddenWidths(kind, tier) as [number, number, number];
  return tf.sequential({
    layers: [
      tf.layers.reshape({ inputShape: [inputSize], targetShape: [28, 28, 1] }),
      tf.layers.conv2d({
        filters: c1,
        kernelSize: 5,
        padding: "same",
        activation: "relu",
        kernelInitializer: init(),
      }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.conv2d({
        filters: c2,
        kernelSize: 5,
        padding: "same",
        activation: "relu",
        kernelInitializer: init(),
      }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.flatten(),
      tf.layers.dense({ units, activation: "relu", kernelInitializer: init() }),
      tf.layers.dense({ units: classCount, kernelInitializer: init() }),
    ],
  });
}

/** The model's weights as one flat vector, in `getWeights()` order. */
export function readFlatWeights(model: tf.LayersModel): Float32Array {
  const tensors = model.getWeights();
  const total = tensors.reduce((sum, tensor) => sum + tensor.size, 0);
  const flat = new Float32Array(total);
  let offset = 0;
  for (const tensor of tensors) {
    flat.set(tensor.dataSync() as Float32Array, offset);
    offset += tensor.size;
  }
  return flat;
}

/**
 * `readFlatWeights` without blocking reads: the WebGPU backend has no
 * synchronous download in Node (tfjs does it through an OffscreenCanvas),
 * and an asynchronous one lets the GPU finish queued work first.
 */
export async function readFlatWeightsAsync(model: tf.LayersModel): Promise<Float32Array> {
  const tensors = model.getWeights();
  const parts = await Promise.all(tensors.map((tensor) => tensor.data() as Promise<Float32Array>));
  const flat = new Float32Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    flat.set(part, offset);
    offset += part.length;
  }
  return flat;
}

/** Loads a flat vector into the model (same order as `readFlatWeights`). */
export function writeFlatWeights(model: tf.LayersModel, flat: Float32Array): void {
  const current = model.getWeights();
  let offset = 0;
  const tensors = current.map((tensor) => {
    const slice = flat.subarray(offset, offset + tensor.size);
    offset += tensor.size;
    return tf.tensor(slice, tensor.shape, "float32");
  });
  if (offset !== flat.length) {
    tensors.forEach((tensor) => {
      tensor.dispose();
    });
    throw new AgoraError("invalid", "Weight vector does not fit the model", {
      detail: `${flat.length} values given, the model needs ${offset}.`,
    });
  }
  model.setWeights(tensors);
  tensors.forEach((tensor) => {
    tensor.dispose();
  });
}

/** Initial global weights of a task (full tier), reproducible from the seed. */
export function initialWeights(kind: ModelKind, seed = 1): Float32Array {
  const model = buildModel(kind, 0, seed);
  const flat = readFlatWeights(model);
  model.dispose();
  return flat;
}
