import * as tf from "@tensorflow/tfjs";
import type { Dataset } from "../data/dataset.ts";
import { classCount, inputSize } from "../models/architecture.ts";

/** Tensors for the examples at `indices` (call inside `tf.tidy`). */
export function batchTensors(
  data: Dataset,
  indices: readonly number[],
): { xs: tf.Tensor2D; ys: tf.Tensor2D } {
  const pixels = new Float32Array(indices.length * inputSize);
  const labels = new Int32Array(indices.length);
  indices.forEach((index, row) => {
    pixels.set(data.images.subarray(index * inputSize, (index + 1) * inputSize), row * inputSize);
    labels[row] = data.labels[index] as number;
  });
  return {
    xs: tf.tensor2d(pixels, [indices.length, inputSize]),
    ys: tf.oneHot(tf.tensor1d(labels, "int32"), classCount) as tf.Tensor2D,
  };
}
