import { AgoraError } from "../../errors/agora-error.ts";
import { transitionTask } from "../../market/task-state-machine.ts";
import { planTaskPayouts, reportHashOf } from "./plan-task-payouts.ts";
import { done, type SettlementStep } from "./settlement-step.ts";

/** training → settling; a task already settling (a resumed run) stays as it is. */
export const beginStep: SettlementStep = {
  name: "settling",
  async run({ repos, task }) {
    if (task.status === "training") await transitionTask(repos.tasks, task, "settling");
    else if (task.status !== "settling" && task.status !== "settled") {
      throw new AgoraError("conflict", "Task is not ready to settle", {
        detail: `Task ${task.id} is ${task.status}; settlement starts after the last round of training.`,
      });
    }
    return done();
  },
};

/** Agreement and contributions → payout plan → payout rows, once. */
export const planStep: SettlementStep = {
  name: "planned",
  async run({ repos, task }) {
    const { report, payouts } = await planTaskPayouts(repos, repos.agreements, task);
    return done({ report, reportHash: reportHashOf(report), payouts: payouts.length });
  },
};

/** settling → settled: the last step, after every payout of the rail is final and booked. */
export const finishStep: SettlementStep = {
  name: "settled",
  async run({ repos, task }) {
    const current = await repos.tasks.get(task.id);
    if (current.status !== "settled") await transitionTask(repos.tasks, current, "settled");
    return done({ settledAt: new Date().toISOString() });
  },
};
