import { AgoraError } from "../../errors/agora-error.ts";
import {
  type RecomputeDeps,
  recomputeContributions,
} from "../../learning/contribution/recompute-contributions.ts";
import type { RoundRecomputer } from "./check-contributions.ts";

/**
 * The full recomputation: rebuilds every coalition's model from the round's stored update blobs
 * and evaluates it on the referenced validation set, exactly as the scorer did. Needs the blobs
 * (the auditor's copy of the blob store); where it has none, `recordedUtilityRecomputer` checks
 * the arithmetic from the recorded coalition utilities instead.
 */
export function learningRecomputer(deps: RecomputeDeps): RoundRecomputer {
  return async (request) => {
    const result = await recomputeContributions(request.inputs, deps);
    if (result.method !== request.method) {
      throw new AgoraError("invalid", "The stored inputs name another contribution method", {
        detail: `row says ${request.method}, inputs recompute ${result.method}`,
      });
    }
    return result.scores;
  };
}
