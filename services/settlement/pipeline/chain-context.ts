import { AgoraError } from "../../errors/agora-error.ts";
import type { ChainSettlement, SettlementDependencies } from "./settlement-dependencies.ts";
import type { SettlementContext } from "./settlement-step.ts";

/** The chain connection a chain task's steps need; 503 (retried) where the deployment lacks it. */
export function chainOf(deps: SettlementDependencies): ChainSettlement {
  if (deps.chain === undefined) {
    throw new AgoraError("unavailable", "No chain connection", {
      detail:
        "A chain task settles only where the escrow and its coordinator account are configured.",
    });
  }
  return deps.chain;
}

/** The escrow's task id, as the `committed` step recorded it. */
export const chainTaskIdIn = (state: SettlementContext["state"]): bigint => {
  const id = state.chainTaskId;
  if (typeof id !== "string")
    throw new AgoraError("internal", "Settlement lost the escrow task id");
  return BigInt(id);
};
