import { AgoraError } from "../../services/errors/agora-error.ts";
import { type Dataset, labelHistogram, subset } from "../../services/learning/data/dataset.ts";
import { federatedSplit } from "../../services/learning/data/federated-split.ts";
import type { HolderDataSource } from "../../services/learning/data/holder-data-source.ts";
import { loadMnist } from "../../services/learning/data/mnist.ts";
import { classCount } from "../../services/learning/models/architecture.ts";
import { seededRng, shuffleInPlace } from "../../services/learning/util/random.ts";
import type { CastMember } from "./cast.ts";

/** How many examples a "handful" free rider really trains on. */
export const handfulSize = 10;

/**
 * The scenario's data: MNIST with the owner's validation and test sets carved
 * out first under the API's demo seed (so the coordinator evaluates on
 * exactly the owner's held-out examples), and the rest split with a label
 * skew: each holder's largest class is one digit (holders `i` and `i + 10`
 * share digit `i mod 10`), which takes half of that digit's examples; the
 * other half of every digit is dealt round-robin to everyone. Each holder
 * ends with about 400 examples, about half of them its majority digit.
 * Balanced majorities keep every label group of the auction supplied.
 */
export class DemoData {
  readonly #mnist = loadMnist();
  readonly #shares: number[][];
  readonly #loaded = new Map<number, Dataset>();

  constructor(options: { seed: string; holders: number; validationSize: number }) {
    const split = federatedSplit(this.#mnist, {
      holders: 1,
      scheme: { kind: "iid" },
      validationSize: options.validationSize,
      testSize: 1000,
      seed: options.seed,
    });
    const byLabel: number[][] = Array.from({ length: classCount }, () => []);
    for (const index of split.holders[0] ?? [])
      byLabel[this.#mnist.labels[index] as number]?.push(index);
    const rng = seededRng(`demo-majority|${options.seed}`);
    this.#shares = Array.from({ length: options.holders }, () => []);
    let dealt = 0;
    byLabel.forEach((examples, label) => {
      shuffleInPlace(examples, rng);
      const majority = this.#shares
        .map((_, slot) => slot)
        .filter((slot) => slot % classCount === label);
      const each = majority.length === 0 ? 0 : Math.floor(examples.length / 2 / majority.length);
      majority.forEach((slot, i) => {
        this.#shares[slot]?.push(...examples.slice(i * each, (i + 1) * each));
      });
      for (const index of examples.slice(each * majority.length)) {
        this.#shares[dealt % options.holders]?.push(index);
        dealt += 1;
      }
    });
  }

  #share(slot: number): Dataset {
    let data = this.#loaded.get(slot);
    if (data === undefined) {
      const indices = this.#shares[slot];
      if (indices === undefined) {
        throw new AgoraError("not_found", "No such holder slot", { detail: `slot ${slot}` });
      }
      data = subset(this.#mnist, indices);
      this.#loaded.set(slot, data);
    }
    return data;
  }

  /** What a holder declares at registration: its share's size and label histogram. */
  summary(member: CastMember): { samples: number; labels: Record<string, number> } {
    const data = this.#share(member.slot);
    const counts = labelHistogram(data.labels);
    return {
      samples: data.labels.length,
      labels: Object.fromEntries(
        counts.flatMap((count, label) => (count > 0 ? [[String(label), count]] : [])),
      ),
    };
  }

  /** The data source one holder's worker reads: its share, or a handful of it for that free rider. */
  sourceFor(member: CastMember, holderId: string): HolderDataSource {
    let handful: Dataset | undefined;
    return {
      load: async (requested: string): Promise<Dataset> => {
        if (requested !== holderId) {
          throw new AgoraError("forbidden", "Not this holder's data", {
            detail: `This worker holds ${holderId}'s data only, not ${requested}'s.`,
          });
        }
        const data = this.#share(member.slot);
        if (member.behaviour !== "handful") return data;
        handful ??= subset(
          data,
          Array.from({ length: Math.min(handfulSize, data.labels.length) }, (_, i) => i),
        );
        return handful;
      },
    };
  }
}
