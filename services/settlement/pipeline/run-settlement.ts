import { logSettlementStep, logTaskStatusChange } from "../../audit/settlement-audit.ts";
import { AgoraError } from "../../errors/agora-error.ts";
import { inTransaction } from "../../store/in-transaction.ts";
import { AgreementsRepository } from "../../store/repositories/agreements-repository.ts";
import { PayoutTreesRepository } from "../../store/repositories/payout-trees-repository.ts";
import {
  firstSettlementStep,
  type SettlementRunRecord,
  SettlementRunsRepository,
} from "../../store/repositories/settlement-runs-repository.ts";
import { createRepositories } from "../../store/repositories.ts";
import type { Rail } from "../../store/schema.ts";
import { chainSteps } from "./chain-steps.ts";
import { beginStep, finishStep, planStep } from "./common-steps.ts";
import { sandboxSteps } from "./sandbox-steps.ts";
import type { SettlementDependencies } from "./settlement-dependencies.ts";
import type { SettlementContext, SettlementStep } from "./settlement-step.ts";
import { stripeSteps } from "./stripe-steps.ts";

/** Every step of a task's settlement on its rail, in order. */
export function settlementStepsFor(rail: Rail): readonly SettlementStep[] {
  const railSteps = { chain: chainSteps, stripe: stripeSteps, sandbox: sandboxSteps }[rail];
  return [beginStep, planStep, ...railSteps, finishStep];
}

export type SettlementOutcome =
  | { status: "settled"; run: SettlementRunRecord }
  | { status: "waiting"; run: SettlementRunRecord; retryAt: Date; reason: string };

/**
 * Runs a task's settlement from its checkpoint to the end, or until a step
 * has to wait for the world (a challenge window). After each finished step
 * the checkpoint moves on, so a crash anywhere resumes at the step that was
 * running; that step is idempotent and finds its own half-done work.
 * A failure is recorded beside the checkpoint and thrown to the caller (the
 * queue retries the job). Each finished step is audit-logged in the
 * transaction that moves the checkpoint (`logSettlementStep`).
 */
export async function runSettlement(
  deps: SettlementDependencies,
  taskId: string,
): Promise<SettlementOutcome> {
  const repos = {
    ...createRepositories(deps.db),
    agreements: new AgreementsRepository(deps.db),
    payoutTrees: new PayoutTreesRepository(deps.db),
  };
  const runs = new SettlementRunsRepository(deps.db);
  const task = await repos.tasks.get(taskId);
  let run = await runs.startOrResume(taskId, task.rail);
  const steps = settlementStepsFor(run.rail);
  const names = [firstSettlementStep, ...steps.map((step) => step.name)];
  const position = names.indexOf(run.step);
  if (position < 0) {
    throw new AgoraError("internal", "Unknown settlement step", {
      detail: `Task ${taskId} is checkpointed at ${run.step}, not a step of the ${run.rail} rail.`,
    });
  }
  for (const step of steps.slice(position)) {
    const context: SettlementContext = {
      deps,
      repos,
      task: await repos.tasks.get(taskId),
      state: run.state,
    };
    let result: Awaited<ReturnType<SettlementStep["run"]>>;
    try {
      result = await step.run(context);
    } catch (error) {
      const message =
        error instanceof AgoraError ? `${error.message}: ${error.detail ?? ""}` : String(error);
      await runs.recordError(taskId, `${step.name}: ${message}`).catch(() => {});
      // A step may move the task before failing (a dispute); a later completed step logs it too.
      await logTaskStatusChange(deps.db, context.task, step.name).catch(() => {});
      throw error;
    }
    if (!result.done) {
      return { status: "waiting", run, retryAt: result.retryAt, reason: result.reason };
    }
    const previous = run.step;
    run = await inTransaction(deps.db, async (trx) => {
      const completed = await new SettlementRunsRepository(trx).completeStep(
        taskId,
        previous,
        step.name,
        result.facts ?? {},
        { final: step === finishStep },
      );
      await logSettlementStep(trx, context.task, step.name, result.facts ?? {});
      return completed;
    });
  }
  return { status: "settled", run };
}
