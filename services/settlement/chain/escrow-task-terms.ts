import { taskIdHash } from "../../market/bids/bid-attributes.ts";
import type { TaskRecord } from "../../store/repositories/tasks-repository.ts";
import type { EscrowClient } from "./escrow-client.ts";

/**
 * The terms hash under which an owner funds an Agora task in the escrow:
 * keccak-256 of the task id, the same value bids and agreements sign as
 * `taskId`. It never changes over the task's life, so the escrow task can be
 * found again from chain state alone (`taskIdByTerms(owner, hash)`).
 */
export const escrowTermsHashOf = (task: Pick<TaskRecord, "id">): string => taskIdHash(task.id);

/** The escrow's id of an Agora task, or 0n when its owner has not funded it on chain. */
export const escrowTaskIdOf = (
  escrow: EscrowClient,
  task: Pick<TaskRecord, "id" | "ownerAddress">,
): Promise<bigint> => escrow.taskIdByTerms(task.ownerAddress, escrowTermsHashOf(task));
