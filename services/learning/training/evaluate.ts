import * as tf from "@tensorflow/tfjs";
import { type Dataset, datasetSize } from "../data/dataset.ts";
import type { ModelKind } from "../models/architecture.ts";
import { writeFlatWeights } from "../models/build-model.ts";
import { acquireModel, releaseModel } from "../models/model-pool.ts";
import { batchTensors } from "./batches.ts";

export interface Evaluation {
  /** Fraction of examples classified correctly, in [0, 1]. */
  accuracy: number;
  /** Mean cross-entropy. */
  loss: number;
  samples: number;
}

/** Accuracy and loss of full-tier weights on a dataset (the owner's validation or test set). */
export function evaluateWeights(
  kind: ModelKind,
  weights: Float32Array,
  data: Dataset,
  batchSize = 1000,
): Evaluation {
  const samples = datasetSize(data);
  const model = acquireModel(kind, 0);
  try {
    writeFlatWeights(model, weights);
    let correct = 0;
    let lossSum = 0;
    for (let offset = 0; offset < samples; offset += batchSize) {
      const indices = Array.from(
        { length: Math.min(batchSize, samples - offset) },
        (_, i) => offset + i,
      );
      const [hits, loss] = tf.tidy(() => {
        const { xs, ys } = batchTensors(data, indices);
        const logits = model.predict(xs) as tf.Tensor2D;
        const hit = tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), tf.argMax(ys, 1)), "float32"));
        const lossTotal = tf.mul(tf.losses.softmaxCrossEntropy(ys, logits), indices.length);
        return [hit.dataSync()[0] as number, lossTotal.dataSync()[0] as number];
      });
      correct += hits;
      lossSum += loss;
    }
    return { accuracy: correct / samples, loss: lossSum / samples, samples };
  } finally {
    releaseModel(kind, 0, model);
  }
}
