import * as tf from "@tensorflow/tfjs";
import { AgoraError } from "../../errors/agora-error.ts";
import { type Dataset, datasetSize } from "../data/dataset.ts";
import { inputSize, type ModelKind } from "../models/architecture.ts";
import { buildModel, writeFlatWeights } from "../models/build-model.ts";

/**
 * Validation accuracy of many weight vectors of one model, as cheaply as
 * tfjs allows: contribution scoring evaluates up to 2^n coalition models per
 * round, so the validation set is uploaded once, one model is built once and
 * only its weights change between evaluations. Call `dispose` when done.
 *
 * Accuracy (not loss) is the utility because it is what the owner pays for
 * and what the round reports; it is bounded in [0, 1], so a diverged
 * coalition model (an attacker's) cannot dominate everyone's values the way
 * an unbounded loss would.
 */
export class ValidationScorer {
  readonly kind: ModelKind;
  readonly samples: number;
  readonly #model: tf.Sequential;
  readonly #images: tf.Tensor2D;
  readonly #labels: tf.Tensor1D;
  #disposed = false;

  constructor(kind: ModelKind, validation: Dataset) {
    const samples = datasetSize(validation);
    if (samples === 0 || validation.images.length !== samples * inputSize) {
      throw new AgoraError("invalid", "The validation set is empty or malformed", {
        detail: `${samples} labels, ${validation.images.length} pixel values.`,
      });
    }
    this.kind = kind;
    this.samples = samples;
    this.#model = buildModel(kind, 0);
    this.#images = tf.tensor2d(validation.images, [samples, inputSize]);
    this.#labels = tf.tensor1d(Int32Array.from(validation.labels), "int32");
  }

  /** Fraction of the validation set the full-tier `weights` classify correctly. */
  accuracy(weights: Float32Array): number {
    if (this.#disposed) throw new AgoraError("internal", "Validation scorer used after dispose");
    writeFlatWeights(this.#model, weights);
    const hits = tf.tidy(() => {
      const logits = this.#model.predict(this.#images) as tf.Tensor2D;
      const predicted = tf.argMax(logits, 1).toInt();
      return tf.sum(tf.cast(tf.equal(predicted, this.#labels), "int32"));
    });
    const correct = hits.dataSync()[0] as number;
    hits.dispose();
    return correct / this.samples;
  }

  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#model.dispose();
    this.#images.dispose();
    this.#labels.dispose();
  }
}
