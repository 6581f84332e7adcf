import { DashboardTasksRepository } from "../../../store/repositories/dashboard-tasks-repository.ts";
import type { ApiDependencies } from "../../dependencies.ts";
import { moneyView } from "./money-view.ts";

/** The front page: every public task with its progress. */
export async function taskListView(deps: ApiDependencies) {
  const tasks = await new DashboardTasksRepository(deps.database.db).listPublic();
  return {
    tasks: tasks.map((task) => ({
      id: task.id,
      name: task.name,
      status: task.status,
      rail: task.rail,
      budget: moneyView(task.budget, task.currency),
      roundsPlanned: task.roundsPlanned,
      roundsAggregated: task.roundsAggregated,
      latestAccuracy: task.latestAccuracy,
      participants: task.participants,
      deadline: task.deadline.toISOString(),
      createdAt: task.createdAt.toISOString(),
    })),
  };
}
