import type { BlobStore } from "../blobs/blob-store.ts";
import type { Dataset } from "../data/dataset.ts";
import { parseContributionInputs } from "./contribution-inputs.ts";
import { runContributionMethod } from "./score-round.ts";
import { resolveValidation, type ValidationReference } from "./validation-reference.ts";

export interface RecomputeDeps {
  /** Where the round's starting model and update blobs are (verified by hash). */
  blobs: BlobStore;
  /**
   * Fetches the referenced validation set; the result must match the
   * reference's digest. Default: the MNIST demo split only.
   */
  resolveValidation?: (reference: ValidationReference) => Dataset | Promise<Dataset>;
}

export interface RecomputedContributions {
  method: string;
  scores: Map<string, number>;
  evaluations: number;
  /** What each coalition was worth this time, to compare with the stored `utilities`. */
  utilities: Record<string, number>;
}

/**
 * Recomputes a round's contribution scores from nothing but the `inputs`
 * stored with them (plus the blobs and the validation set they name): what
 * an auditor runs. Deterministic: the same inputs on the same tfjs backend
 * give the same numbers, GTG-Shapley included (its sampler is seeded).
 * Malformed inputs, a missing blob or a validation set that does not match
 * its digest are refused with an AgoraError.
 */
export async function recomputeContributions(
  inputs: Record<string, unknown>,
  deps: RecomputeDeps,
): Promise<RecomputedContributions> {
  const parsed = parseContributionInputs(inputs);
  const validation = await resolveValidation(parsed.validation, deps.resolveValidation);
  return runContributionMethod(parsed, deps.blobs, validation);
}
