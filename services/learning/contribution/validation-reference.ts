import { createHash } from "node:crypto";
import { z } from "zod";
import { AgoraError } from "../../errors/agora-error.ts";
import { type Dataset, datasetSize, subset } from "../data/dataset.ts";
import { federatedSplit } from "../data/federated-split.ts";
import { loadMnist } from "../data/mnist.ts";

/**
 * Where the validation set behind a contribution score comes from, written
 * so that an auditor can fetch the very same examples again. The digest pins
 * the examples themselves: a resolver that returns anything else is refused.
 */
export const validationReferenceSchema = z.discriminatedUnion("source", [
  /** The owner's validation set of the MNIST demo split (`MnistDemoDataSource`). */
  z.object({
    source: z.literal("mnist-demo"),
    seed: z.union([z.string(), z.number()]),
    validationSize: z.number().int().positive(),
    digest: z.string().regex(/^[0-9a-f]{64}$/),
  }),
  /** The owner's own data, fetched by whatever means the deployment provides. */
  z.object({
    source: z.literal("owner"),
    id: z.string().min(1),
    digest: z.string().regex(/^[0-9a-f]{64}$/),
  }),
]);
export type ValidationReference = z.infer<typeof validationReferenceSchema>;

/** A validation set together with the reference that finds it again. */
export interface ValidationSet {
  reference: ValidationReference;
  data: Dataset;
}

export type ValidationResolver = (reference: ValidationReference) => Dataset | Promise<Dataset>;

/** SHA-256 over the labels and then the pixels (little-endian Float32). */
export function datasetDigest(data: Dataset): string {
  return createHash("sha256")
    .update(data.labels)
    .update(new Uint8Array(data.images.buffer, data.images.byteOffset, data.images.byteLength))
    .digest("hex");
}

/**
 * The owner's validation set of the MNIST demo split with this seed and
 * size. `federatedSplit` carves the validation set first from a shuffle that
 * depends only on the seed, so the holders' count and scheme do not matter
 * and the smallest split reproduces it exactly.
 */
export function mnistDemoValidation(options: {
  seed: number | string;
  validationSize: number;
}): ValidationSet {
  const mnist = loadMnist();
  const split = federatedSplit(mnist, {
    holders: 1,
    scheme: { kind: "iid" },
    validationSize: options.validationSize,
    testSize: 1,
    poolSize: 1,
    seed: options.seed,
  });
  const data = subset(mnist, split.validation);
  return {
    reference: {
      source: "mnist-demo",
      seed: options.seed,
      validationSize: options.validationSize,
      digest: datasetDigest(data),
    },
    data,
  };
}

/** Resolves the references Agora can fetch by itself (the MNIST demo); others need the owner's resolver. */
export const defaultValidationResolver: ValidationResolver = (reference) => {
  if (reference.source !== "mnist-demo") {
    throw new AgoraError("unavailable", "No resolver for this validation set", {
      detail: `A "${reference.source}" validation set needs the owner's resolver.`,
    });
  }
  return mnistDemoValidation(reference).data;
};

/** Fetches a referenced validation set and checks that it is the one the reference pins. */
export async function resolveValidation(
  reference: ValidationReference,
  resolver: ValidationResolver = defaultValidationResolver,
): Promise<Dataset> {
  const data = await resolver(reference);
  const digest = datasetDigest(data);
  if (digest !== reference.digest) {
    throw new AgoraError("conflict", "The validation set differs from the one scored on", {
      detail: `Expected digest ${reference.digest}, got ${digest} (${datasetSize(data)} examples).`,
    });
  }
  return data;
}
