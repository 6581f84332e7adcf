import type { Worker } from "bullmq";
import { startTrainWorker, type TrainWorkerOptions } from "../../queues/train-worker.ts";
import type { BlobStore } from "../../services/learning/blobs/blob-store.ts";
import { CachedBlobStore } from "../../services/learning/blobs/cached-blob-store.ts";
import { MnistDemoDataSource } from "../../services/learning/data/holder-data-source.ts";

export interface BenchSplitOptions {
  validationSize: number;
  testSize: number;
  seed: string;
}

/** The overhead rounds' split: every process that hosts holders cuts the same one. */
export function benchSplit(
  holderIds: readonly string[],
  options: BenchSplitOptions,
): MnistDemoDataSource {
  return new MnistDemoDataSource(holderIds, {
    scheme: { kind: "shards", shardsPerHolder: 2 },
    validationSize: options.validationSize,
    testSize: options.testSize,
    seed: options.seed,
  });
}

/**
 * The train workers of the holders one process hosts. As deployed, they
 * share a cache of the global model they verified; the aggregator reads and
 * verifies every update from `blobs` itself.
 */
export function startHolderWorkers(
  holderIds: readonly string[],
  deps: Omit<TrainWorkerOptions, "holderId" | "blobs"> & { blobs: BlobStore },
): Worker[] {
  const blobs = new CachedBlobStore(deps.blobs);
  return holderIds.map((holderId) => startTrainWorker({ ...deps, holderId, blobs }));
}
