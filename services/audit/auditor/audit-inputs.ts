import type { Kysely } from "kysely";
import { AgoraError } from "../../errors/agora-error.ts";
import { moneyFromColumn } from "../../store/money.ts";
import { type BidRecord, BidsRepository } from "../../store/repositories/bids-repository.ts";
import {
  type ContributionRecord,
  ContributionsRepository,
} from "../../store/repositories/contributions-repository.ts";
import {
  type HolderRecord,
  HoldersRepository,
} from "../../store/repositories/holders-repository.ts";
import {
  type PayoutRecord,
  PayoutsRepository,
} from "../../store/repositories/payouts-repository.ts";
import {
  type PrivacyChargeRecord,
  PrivacyChargesRepository,
} from "../../store/repositories/privacy-charges-repository.ts";
import {
  type RoundRecord,
  RoundsRepository,
  type UpdateRecord,
} from "../../store/repositories/rounds-repository.ts";
import { TaskSelectionsRepository } from "../../store/repositories/task-selections-repository.ts";
import { type TaskRecord, TasksRepository } from "../../store/repositories/tasks-repository.ts";
import type { Database } from "../../store/schema.ts";

/** A signed agreement as the auditor reads it. */
export interface AuditedAgreement {
  holderId: string;
  /** The agreed base price, minor units. */
  price: bigint;
  terms: Record<string, unknown>;
}

/**
 * Everything stored about one task that an audit reads. Loaded once, so every check sees the same
 * snapshot, and read only from rows (never from the code that wrote them), so the audit holds
 * whatever produced them.
 */
export interface AuditInputs {
  task: TaskRecord;
  agreements: AuditedAgreement[];
  /** Holders with an agreement or a payout line, by id. */
  holders: Map<string, HolderRecord>;
  contributions: ContributionRecord[];
  payouts: PayoutRecord[];
  /** Every charge of every holder above, across all tasks (their budgets span tasks). */
  privacyCharges: Map<string, PrivacyChargeRecord[]>;
  selection: Record<string, unknown> | undefined;
  selectedBids: BidRecord[];
  rounds: RoundRecord[];
  /** On-time updates of every round. */
  updates: UpdateRecord[];
}

/** @throws AgoraError `not_found` when the task does not exist. */
export async function loadAuditInputs(db: Kysely<Database>, taskId: string): Promise<AuditInputs> {
  const task = await new TasksRepository(db).find(taskId);
  if (task === undefined) {
    throw new AgoraError("not_found", "Task not found", { detail: taskId });
  }
  // No repository reads signed agreements yet; this is a plain read of the agreements table.
  const agreementRows = await db
    .selectFrom("agreements")
    .select(["holder_id", "price", "terms"])
    .where("task_id", "=", taskId)
    .orderBy("holder_id")
    .execute();
  const agreements = agreementRows.map((row) => ({
    holderId: row.holder_id,
    price: moneyFromColumn(row.price),
    terms: row.terms,
  }));
  const payouts = await new PayoutsRepository(db).listForTask(taskId);
  const holderIds = [
    ...new Set([...agreements.map((a) => a.holderId), ...payouts.map((p) => p.holderId)]),
  ];
  const holdersRepository = new HoldersRepository(db);
  const chargesRepository = new PrivacyChargesRepository(db);
  const holders = new Map<string, HolderRecord>();
  const privacyCharges = new Map<string, PrivacyChargeRecord[]>();
  for (const holderId of holderIds) {
    const holder = await holdersRepository.find(holderId);
    if (holder !== undefined) holders.set(holderId, holder);
    privacyCharges.set(holderId, await chargesRepository.listForHolder(holderId));
  }
  const roundsRepository = new RoundsRepository(db);
  const rounds = await roundsRepository.listForTask(taskId);
  const updates = await roundsRepository.onTimeUpdatesOfTask(taskId);
  return {
    task,
    agreements,
    holders,
    contributions: await new ContributionsRepository(db).forTask(taskId),
    payouts,
    privacyCharges,
    selection: await new TaskSelectionsRepository(db).find(taskId),
    selectedBids: await new BidsRepository(db).listForTask(taskId, "selected"),
    rounds,
    updates,
  };
}

/**
 * The contribution method payouts follow. A task may store several (a cheap one for monitoring,
 * a Shapley one for money); unless told, the auditor takes the Shapley-based one, in this order
 * of preference, else the only one present.
 */
export const payoutMethodPreference = ["gtg-shapley", "exact-shapley", "leave-one-out"];

export function payoutMethodOf(
  contributions: readonly ContributionRecord[],
  requested?: string,
): string | undefined {
  if (requested !== undefined) return requested;
  const methods = [...new Set(contributions.map((row) => row.method))].sort();
  return payoutMethodPreference.find((method) => methods.includes(method)) ?? methods[0];
}

/** A holder's task-level contribution under `method`: the sum of its round scores. */
export function contributionTotals(
  contributions: readonly ContributionRecord[],
  method: string | undefined,
): Map<string, number> {
  const totals = new Map<string, number>();
  for (const row of contributions) {
    if (row.method !== method) continue;
    totals.set(row.holderId, (totals.get(row.holderId) ?? 0) + row.score);
  }
  return totals;
}
