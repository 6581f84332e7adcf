import { getJson, idFromPath } from "./api.js";
import { budgetChart, chartBox } from "./charts.js";
import {
  el,
  formatEpsilon,
  formatTime,
  muted,
  renderPage,
  sandboxBadge,
  section,
  short,
  statusBadge,
  table,
  taskLink,
  wideSection,
} from "./dom.js";
import { formatMoney } from "./money.js";

const moneyCell = (money, sandbox) =>
  el("span", { class: "money" }, formatMoney(money), sandbox ? [" ", sandboxBadge()] : null);

function earningsSection(earnings) {
  return wideSection(
    "Earnings",
    earnings.length === 0
      ? muted("No payouts yet.")
      : table(
          ["Currency", "Rail", "Earned", "Paid", "Pending", "Failed"],
          earnings.map((group) => ({
            attributes: { "data-currency": group.currency, "data-rail": group.rail },
            cells: [
              group.currency,
              [group.rail, group.sandbox ? [" ", sandboxBadge()] : null],
              moneyCell(group.earned, group.sandbox),
              moneyCell(group.paid, group.sandbox),
              moneyCell(group.pending, group.sandbox),
              moneyCell(group.failed, group.sandbox),
            ],
          })),
          { id: "earnings" },
        ),
    muted("Totals are kept apart per currency and rail; sandbox amounts are never real money."),
  );
}

function privacySection(privacy) {
  const { box, canvas } = chartBox("budget-chart", "Privacy budget spent and left");
  const node = section(
    "Privacy budget",
    el(
      "dl",
      { class: "facts", id: "privacy-budget" },
      el("dt", {}, "Budget"),
      el("dd", {}, `ε ${formatEpsilon(privacy.budget)} at δ = ${privacy.delta}`),
      el("dt", {}, "Spent (composed across tasks)"),
      el("dd", {}, `ε ${formatEpsilon(privacy.spent)}`),
      el("dt", {}, "Left"),
      el("dd", { id: "epsilon-left" }, `ε ${formatEpsilon(privacy.left)}`),
    ),
    box,
    privacy.charges.length === 0
      ? muted("No privacy charged yet.")
      : table(
          ["Task", "ε", "δ", "Charged"],
          privacy.charges.map((charge) => ({
            attributes: { "data-task-id": charge.taskId },
            cells: [
              taskLink(charge.taskId, charge.taskName ?? charge.taskId),
              formatEpsilon(charge.epsilon),
              String(charge.delta),
              formatTime(charge.chargedAt),
            ],
          })),
          { id: "privacy-charges" },
        ),
  );
  return { node, draw: () => budgetChart(canvas, privacy.spent, privacy.left) };
}

function payoutsSection(payouts) {
  return wideSection(
    "Payouts",
    payouts.length === 0
      ? muted("No payouts yet.")
      : table(
          ["Task", "Base", "Bonus", "Payout", "Rail", "Status"],
          payouts.map((payout) => ({
            attributes: { "data-task-id": payout.taskId },
            cells: [
              taskLink(payout.taskId, payout.taskName ?? payout.taskId),
              moneyCell(payout.base, false),
              moneyCell(payout.bonus, false),
              moneyCell(payout.amount, payout.sandbox),
              payout.rail,
              statusBadge(payout.status),
            ],
          })),
          { id: "holder-payouts" },
        ),
  );
}

function tasksSection(tasks) {
  return section(
    "Agreements",
    tasks.length === 0
      ? muted("No agreements yet.")
      : table(
          ["Task", "Status", "Model tier", "Agreed price"],
          tasks.map((task) => [
            taskLink(task.taskId, task.taskName ?? task.taskId),
            task.taskStatus === null ? "—" : statusBadge(task.taskStatus),
            task.modelTier === null ? "—" : `tier ${task.modelTier}`,
            task.agreedPrice === null ? "—" : moneyCell(task.agreedPrice, false),
          ]),
          { id: "agreements" },
        ),
  );
}

renderPage(async () => {
  const view = await getJson(`/dashboard/api/holders/${encodeURIComponent(idFromPath())}`);
  const { holder } = view;
  const privacy = privacySection(view.privacy);
  return {
    title: `Holder ${holder.id}`,
    nodes: [
      el("h1", {}, "Holder ", el("span", { class: "mono" }, holder.id)),
      section(
        "Overview",
        el(
          "dl",
          { class: "facts" },
          el("dt", {}, "Address"),
          el("dd", {}, short(holder.address, 21)),
          el("dt", {}, "Payout rail"),
          el(
            "dd",
            {},
            holder.payoutRail,
            holder.payoutRail === "sandbox" ? [" ", sandboxBadge()] : null,
          ),
          el("dt", {}, "Registered"),
          el("dd", {}, formatTime(holder.registeredAt)),
        ),
      ),
      el(
        "div",
        { class: "grid" },
        earningsSection(view.earnings),
        privacy.node,
        tasksSection(view.tasks),
        payoutsSection(view.payouts),
      ),
    ],
    afterRender: privacy.draw,
  };
});
