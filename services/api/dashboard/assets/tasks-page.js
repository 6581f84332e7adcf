import { getJson } from "./api.js";
import {
  el,
  formatPercent,
  formatTime,
  muted,
  renderPage,
  sandboxBadge,
  section,
  statusBadge,
  table,
  taskLink,
} from "./dom.js";
import { formatMoney } from "./money.js";

renderPage(async () => {
  const { tasks } = await getJson("/dashboard/api/tasks");
  const rows = tasks.map((task) => ({
    attributes: { "data-task-id": task.id },
    cells: [
      taskLink(task.id, task.name ?? task.id),
      statusBadge(task.status),
      [task.rail, task.rail === "sandbox" ? [" ", sandboxBadge()] : null],
      el("span", { class: "money" }, formatMoney(task.budget)),
      `${task.roundsAggregated} / ${task.roundsPlanned ?? "?"}`,
      formatPercent(task.latestAccuracy),
      String(task.participants),
      formatTime(task.createdAt),
    ],
  }));
  return {
    title: "Tasks",
    nodes: [
      el("h1", {}, "Training tasks"),
      section(
        `${tasks.length} public ${tasks.length === 1 ? "task" : "tasks"}`,
        tasks.length === 0
          ? muted("No funded tasks yet. Drafts appear here once their owner funds them.")
          : table(
              [
                "Task",
                "Status",
                "Rail",
                "Budget",
                "Rounds",
                "Latest accuracy",
                "Participants",
                "Posted",
              ],
              rows,
              { id: "tasks" },
            ),
      ),
    ],
  };
});
