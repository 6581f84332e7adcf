import { AgoraError } from "../../errors/agora-error.ts";
import { seededRng, shuffleInPlace } from "../util/random.ts";
import { type Dataset, subset } from "./dataset.ts";
import { type PartitionScheme, partition } from "./partition.ts";

export interface FederatedSplitOptions {
  holders: number;
  scheme: PartitionScheme;
  /** Examples held back for the owner's validation set (evaluated each round). */
  validationSize: number;
  /** Examples held back for the owner's final test set. */
  testSize: number;
  /** Use only this many examples of the holders' pool (small tests); default: all the rest. */
  poolSize?: number;
  seed: number | string;
}

/** Index lists into the source dataset; the three parts are pairwise disjoint. */
export interface FederatedSplit {
  validation: number[];
  test: number[];
  /** `holders[h]` lists the examples of holder h. */
  holders: number[][];
}

/**
 * Carves the owner's validation and test sets out first, then partitions the
 * rest among holders, so no holder ever holds an example the owner evaluates on.
 */
export function federatedSplit(data: Dataset, options: FederatedSplitOptions): FederatedSplit {
  const total = data.labels.length;
  const heldBack = options.validationSize + options.testSize;
  if (options.validationSize < 1 || options.testSize < 1 || heldBack >= total) {
    throw new AgoraError("invalid", "Invalid owner hold-out sizes", {
      detail: `validation ${options.validationSize} + test ${options.testSize} of ${total} examples.`,
    });
  }
  const rng = seededRng(`split|${options.seed}`);
  const order = shuffleInPlace(
    Array.from({ length: total }, (_, i) => i),
    rng,
  );
  const validation = order.slice(0, options.validationSize);
  const test = order.slice(options.validationSize, heldBack);
  const pool = order.slice(heldBack, heldBack + (options.poolSize ?? total));
  const holders = partition(pool, data.labels, options.holders, options.scheme, rng);
  return { validation, test, holders };
}

/** The dataset of one holder: the only data its worker ever loads. */
export function holderDataset(data: Dataset, split: FederatedSplit, holderIndex: number): Dataset {
  const indices = split.holders[holderIndex];
  if (indices === undefined) {
    throw new AgoraError("not_found", "No such holder in this split", {
      detail: `holder index ${holderIndex} of ${split.holders.length}.`,
    });
  }
  return subset(data, indices);
}
