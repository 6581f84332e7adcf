import { AgoraError } from "../../errors/agora-error.ts";
import { classCount, inputSize } from "../models/architecture.ts";

/** Examples as flat row-major pixels in [0, 1] (n × 784) and integer labels. */
export interface Dataset {
  images: Float32Array;
  labels: Uint8Array;
}

export const datasetSize = (data: Dataset): number => data.labels.length;

/** The examples at `indices`, copied into a new dataset. */
export function subset(data: Dataset, indices: ArrayLike<number>): Dataset {
  const images = new Float32Array(indices.length * inputSize);
  const labels = new Uint8Array(indices.length);
  for (let i = 0; i < indices.length; i++) {
    const index = indices[i] as number;
    if (index < 0 || index >= data.labels.length) {
      throw new AgoraError("invalid", "Example index out of range", {
        detail: `${index} is not in 0..${data.labels.length - 1}.`,
      });
    }
    images.set(data.images.subarray(index * inputSize, (index + 1) * inputSize), i * inputSize);
    labels[i] = data.labels[index] as number;
  }
  return { images, labels };
}

/** Count of each label, e.g. for a bid's label-coverage summary. */
export function labelHistogram(labels: Uint8Array): number[] {
  const counts = new Array<number>(classCount).fill(0);
  for (const label of labels) counts[label] = (counts[label] ?? 0) + 1;
  return counts;
}
