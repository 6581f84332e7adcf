import { z } from "zod";
import { AgoraError } from "../../errors/agora-error.ts";
import type { CoalitionUtility } from "../../learning/contribution/coalition-utility.ts";
import { exactShapley, leaveOneOut } from "../../learning/contribution/exact-shapley.ts";
import type { RecomputeRequest, RoundRecomputer } from "./check-contributions.ts";

/**
 * Inputs that carry the coalition utilities the scorer measured: `participants` in index order
 * and `utilities` keyed by the sorted member indices joined with commas (`""` is the round's
 * starting model).
 */
const recordedUtilitiesSchema = z.object({
  participants: z.array(z.string().min(1)).min(1),
  utilities: z.record(z.string(), z.number()),
});

/**
 * Recomputes exact Shapley and leave-one-out values from the coalition utilities recorded in a
 * row's inputs. This checks the contribution arithmetic and the attribution to holders without
 * rebuilding a single model; re-evaluating the coalition models themselves from the stored update
 * blobs is the learning service's recomputation, which an auditor wires in when it has the blobs.
 *
 * @throws AgoraError `invalid` (per request) when the inputs carry no utilities, name a method it
 *   cannot recompute, or lack a coalition the method needs.
 */
export const recordedUtilityRecomputer: RoundRecomputer = async (request: RecomputeRequest) => {
  const parsed = recordedUtilitiesSchema.safeParse(request.inputs);
  if (!parsed.success) {
    throw new AgoraError("invalid", "The stored inputs record no coalition utilities", {
      detail: `round ${request.round}: expected { participants, utilities }`,
    });
  }
  const { participants, utilities } = parsed.data;
  const utility: CoalitionUtility = async (members) => {
    const value = utilities[members.join(",")];
    if (value === undefined) {
      throw new AgoraError("invalid", "A coalition utility is missing from the stored inputs", {
        detail: `round ${request.round}: coalition [${members.join(",")}]`,
      });
    }
    return value;
  };
  const estimate =
    request.method === "exact-shapley"
      ? await exactShapley(participants.length, utility)
      : request.method === "leave-one-out"
        ? await leaveOneOut(participants.length, utility)
        : undefined;
  if (estimate === undefined) {
    throw new AgoraError("invalid", "Cannot recompute this method from recorded utilities", {
      detail: request.method,
    });
  }
  return new Map(participants.map((holderId, i) => [holderId, estimate.values[i] ?? Number.NaN]));
};
