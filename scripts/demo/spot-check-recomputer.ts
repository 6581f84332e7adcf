import type { RoundRecomputer } from "../../services/audit/auditor/check-contributions.ts";
import { learningRecomputer } from "../../services/audit/auditor/learning-recomputer.ts";
import { recordedUtilityRecomputer } from "../../services/audit/auditor/recorded-utility-recomputer.ts";
import type { BlobStore } from "../../services/learning/blobs/blob-store.ts";
import { sampleWithoutReplacement, seededRng } from "../../services/learning/util/random.ts";

/**
 * An auditor's sampling plan: every round's scores are recomputed from the
 * coalition utilities the scorer recorded (the Shapley arithmetic and the
 * attribution to holders), and `sampled` rounds, drawn by the auditor's own
 * seed, also from scratch: every coalition model rebuilt from the stored
 * update blobs and evaluated again on the owner's validation set. A scorer
 * that lied about any utility of a sampled round is caught; a full audit
 * (`agora audit <task>`) rebuilds every round.
 */
export function spotCheckRecomputer(options: {
  blobs: BlobStore;
  rounds: readonly number[];
  sampled: number;
  seed: string;
}): { recompute: RoundRecomputer; rebuilt: number[] } {
  const rebuilt = sampleWithoutReplacement(
    [...options.rounds],
    Math.min(options.sampled, options.rounds.length),
    seededRng(options.seed),
  ).sort((a, b) => a - b);
  const learning = learningRecomputer({ blobs: options.blobs });
  return {
    rebuilt,
    recompute: (request) =>
      rebuilt.includes(request.round) ? learning(request) : recordedUtilityRecomputer(request),
  };
}
