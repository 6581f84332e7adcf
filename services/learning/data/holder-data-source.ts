import { AgoraError } from "../../errors/agora-error.ts";
import type { Dataset } from "./dataset.ts";
import {
  type FederatedSplit,
  type FederatedSplitOptions,
  federatedSplit,
  holderDataset,
} from "./federated-split.ts";
import { loadMnist } from "./mnist.ts";

/**
 * Where a holder's worker gets its training data. A real holder reads its
 * own files; the demo source serves one holder's share of MNIST. Either way
 * the worker asks only for its own holder's data.
 */
export interface HolderDataSource {
  load(holderId: string): Promise<Dataset>;
}

/** The owner's side of the demo split: validation and test sets disjoint from every holder's data. */
export interface OwnerData {
  validation: Dataset;
  test: Dataset;
}

/**
 * MNIST split among `holderIds` (holder i gets partition i). The split is a
 * pure function of the options and seed, so every worker process computes
 * the same split and loads only its own part.
 */
export class MnistDemoDataSource implements HolderDataSource {
  readonly holderIds: readonly string[];
  readonly split: FederatedSplit;

  constructor(holderIds: readonly string[], options: Omit<FederatedSplitOptions, "holders">) {
    this.holderIds = holderIds;
    this.split = federatedSplit(loadMnist(), { ...options, holders: holderIds.length });
  }

  /** Each holder's share, cut once: every round's job trains on the same examples (read-only). */
  readonly #loaded = new Map<string, Dataset>();

  async load(holderId: string): Promise<Dataset> {
    const loaded = this.#loaded.get(holderId);
    if (loaded !== undefined) return loaded;
    const index = this.holderIds.indexOf(holderId);
    if (index < 0) {
      throw new AgoraError("not_found", "Holder has no data here", {
        detail: `"${holderId}" is not one of this split's holders.`,
      });
    }
    const data = holderDataset(loadMnist(), this.split, index);
    this.#loaded.set(holderId, data);
    return data;
  }

  ownerData(): OwnerData {
    const mnist = loadMnist();
    return {
      validation: holderDataset(mnist, { ...this.split, holders: [this.split.validation] }, 0),
      test: holderDataset(mnist, { ...this.split, holders: [this.split.test] }, 0),
    };
  }
}
