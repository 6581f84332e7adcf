import { AgoraError } from "../../errors/agora-error.ts";
import type { FitReply } from "./strategy.ts";

/** Every strategy needs at least `minimum` replies of the global model's size. */
export function assertReplies(
  strategy: string,
  replies: readonly FitReply[],
  global: Float32Array,
  minimum = 1,
): void {
  if (replies.length < minimum) {
    throw new AgoraError("conflict", "Too few updates to aggregate", {
      detail: `${strategy} needs at least ${minimum}, got ${replies.length}.`,
    });
  }
  for (const reply of replies) {
    if (reply.weights.length !== global.length) {
      throw new AgoraError("invalid", "Update does not fit the global model", {
        detail: `${reply.holderId} sent ${reply.weights.length} values, the model has ${global.length}.`,
      });
    }
    if (!(reply.samples > 0)) {
      throw new AgoraError("invalid", "Update reports no training samples", {
        detail: reply.holderId,
      });
    }
  }
}

/** Same instruction for everyone: plain local SGD. */
export const plainInstructions = (holders: readonly string[], proximalMu = 0) =>
  holders.map((holderId) => ({ holderId, proximalMu }));
