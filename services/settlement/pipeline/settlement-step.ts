import type { AgreementsRepository } from "../../store/repositories/agreements-repository.ts";
import type { PayoutTreesRepository } from "../../store/repositories/payout-trees-repository.ts";
import type { TaskRecord } from "../../store/repositories/tasks-repository.ts";
import type { Repositories } from "../../store/repositories.ts";
import type { SettlementDependencies } from "./settlement-dependencies.ts";

export interface SettlementContext {
  deps: SettlementDependencies;
  repos: Repositories & { agreements: AgreementsRepository; payoutTrees: PayoutTreesRepository };
  /** The task as it was read when this step began. */
  task: TaskRecord;
  /** Facts recorded by the steps before this one. */
  state: Readonly<Record<string, unknown>>;
}

/** A step either finished (with facts for later steps) or must wait for the world to move. */
export type StepResult =
  | { done: true; facts?: Record<string, unknown> }
  | { done: false; retryAt: Date; reason: string };

/**
 * One step of the settle pipeline. `name` is what the checkpoint records once
 * the step finished. Every step must be safe to run again after a crash that
 * hit it half-way: it reads the rail's state (chain, Stripe, ledger) before
 * acting, and every effect it causes is keyed so that a repeat is a no-op.
 */
export interface SettlementStep {
  name: string;
  run(context: SettlementContext): Promise<StepResult>;
}

export const done = (facts?: Record<string, unknown>): StepResult =>
  facts === undefined ? { done: true } : { done: true, facts };
