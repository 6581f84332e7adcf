import * as tf from "@tensorflow/tfjs";
import { AgoraError } from "../../errors/agora-error.ts";
import { type Dataset, datasetSize } from "../data/dataset.ts";
import { inputSize, type ModelKind } from "../models/architecture.ts";
import { readFlatWeightsAsync, writeFlatWeights } from "../models/build-model.ts";
import { acquireModel, releaseModel } from "../models/model-pool.ts";
import { extractTier } from "../models/tier-mapping.ts";
import { seededRng, shuffleInPlace } from "../util/random.ts";
import { batchTensors } from "./batches.ts";

export interface LocalTrainOptions {
  kind: ModelKind;
  /** Model-size tier the holder trains; its slice of the global model is trained. */
  tier: number;
  /** Full-tier global weights the round starts from. */
  global: Float32Array;
  data: Dataset;
  epochs: number;
  batchSize: number;
  learningRate: number;
  /** FedProx proximal coefficient μ; 0 is plain FedAvg local training. */
  proximalMu?: number;
  /** Seeds the shuffling, so a retried job trains the same way and produces the same update. */
  seed: number | string;
}

export interface LocalTrainResult {
  /** The trained weights of the tier's sub-model. */
  weights: Float32Array;
  samples: number;
  /** Mean training loss over the last epoch. */
  loss: number;
  steps: number;
  /** Time spent computing (excluding pauses that let other jobs run). */
  trainSeconds: number;
  backend: string;
}

/** E local epochs of minibatch SGD on the holder's own data (McMahan's ClientUpdate). */
export async function trainLocally(options: LocalTrainOptions): Promise<LocalTrainResult> {
  const samples = datasetSize(options.data);
  if (samples === 0) {
    throw new AgoraError("invalid", "Holder has no training data");
  }
  if (options.data.images.length !== samples * inputSize) {
    throw new AgoraError("invalid", "Training images do not match their labels");
  }
  const started = performance.now();
  const start = extractTier(options.global, options.kind, options.tier);
  const model = acquireModel(options.kind, options.tier);
  const optimizer = tf.train.sgd(options.learningRate);
  const mu = options.proximalMu ?? 0;
  writeFlatWeights(model, start);
  const anchors = mu > 0 ? model.trainableWeights.map((w) => tf.keep(w.read().clone())) : [];
  const rng = seededRng(`train|${options.seed}`);
  const order = Array.from({ length: samples }, (_, i) => i);
  let steps = 0;
  let lastEpochLoss = 0;
  // Busy time only: the pause between epochs lets other jobs in this process run.
  let busyMs = performance.now() - started;
  try {
    for (let epoch = 0; epoch < options.epochs; epoch++) {
      const epochStarted = performance.now();
      shuffleInPlace(order, rng);
      // The loss stays on the device and is read once per epoch: a read per
      // step would stall a GPU backend on every batch.
      let lossSum: tf.Scalar = tf.keep(tf.scalar(0));
      let batches = 0;
      for (let offset = 0; offset < samples; offset += options.batchSize) {
        const batch = order.slice(offset, offset + options.batchSize);
        const previous = lossSum;
        lossSum = tf.tidy(() => {
          const { xs, ys } = batchTensors(options.data, batch);
          const cost = optimizer.minimize(() => {
            const logits = model.apply(xs, { training: true }) as tf.Tensor;
            const loss = tf.losses.softmaxCrossEntropy(ys, logits) as tf.Scalar;
            if (mu === 0) return loss;
            // FedProx: μ/2 ‖w − w_global‖² keeps local models near the global one.
            const drift = model.trainableWeights.map((w, i) =>
              tf.sum(tf.square(tf.sub(w.read(), anchors[i] as tf.Tensor))),
            );
            return tf.add(loss, tf.mul(mu / 2, tf.addN(drift))) as tf.Scalar;
          }, true);
          return tf.keep(tf.add(previous, cost as tf.Scalar) as tf.Scalar);
        });
        previous.dispose();
        batches++;
        steps++;
      }
      const epochLossSum = (await lossSum.data())[0] as number;
      lossSum.dispose();
      lastEpochLoss = epochLossSum / Math.max(batches, 1);
      busyMs += performance.now() - epochStarted;
      // Let timers (job lock renewal) run between epochs.
      await new Promise((resolve) => setImmediate(resolve));
    }
    if (!Number.isFinite(lastEpochLoss)) {
      throw new AgoraError("internal", "Local training diverged", {
        detail: `loss ${lastEpochLoss} after ${steps} steps.`,
      });
    }
    const readStarted = performance.now();
    const weights = await readFlatWeightsAsync(model);
    busyMs += performance.now() - readStarted;
    return {
      weights,
      samples,
      loss: lastEpochLoss,
      steps,
      trainSeconds: busyMs / 1000,
      backend: tf.getBackend(),
    };
  } finally {
    optimizer.dispose();
    for (const anchor of anchors) anchor.dispose();
    releaseModel(options.kind, options.tier, model);
  }
}
