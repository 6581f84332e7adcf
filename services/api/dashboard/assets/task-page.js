import { getJson, idFromPath } from "./api.js";
import { accuracyChart, chartBox, contributionPayoutChart, epsilonChart } from "./charts.js";
import {
  el,
  formatEpsilon,
  formatPercent,
  formatTime,
  holderLink,
  muted,
  renderPage,
  sandboxBadge,
  section,
  short,
  shortId,
  statusBadge,
  table,
  wideSection,
} from "./dom.js";
import { formatMoney, moneyForChart } from "./money.js";

const moneyCell = (money, sandbox) =>
  el("span", { class: "money" }, formatMoney(money), sandbox ? [" ", sandboxBadge()] : null);

function summary(task, settlement) {
  const facts = [
    ["Status", statusBadge(task.status)],
    ["Rail", [task.rail, task.rail === "sandbox" ? [" ", sandboxBadge()] : null]],
    ["Budget", moneyCell(task.budget, task.rail === "sandbox")],
    ["Rounds planned", String(task.roundsPlanned ?? "—")],
    [
      "Privacy bound",
      task.privacyBound.epsilon === null
        ? "—"
        : `ε ≤ ${formatEpsilon(task.privacyBound.epsilon)}, δ = ${task.privacyBound.delta}`,
    ],
    ["Owner", short(task.ownerAddress)],
    ["Deadline", formatTime(task.deadline)],
    ["Payout lines", String(settlement.payoutLines)],
  ];
  return el(
    "dl",
    { class: "facts" },
    facts.map(([term, value]) => [el("dt", {}, term), el("dd", {}, value)]),
  );
}

function roundsSection(rounds) {
  const { box, canvas } = chartBox("accuracy-chart", "Validation accuracy per round");
  const measured = rounds.filter((round) => round.accuracy !== null);
  const node = section(
    "Accuracy per round",
    measured.length === 0 ? muted("No round has been evaluated yet.") : box,
    table(
      ["Round", "Status", "Strategy", "Accuracy", "Loss", "Closed"],
      rounds.map((round) => [
        String(round.round),
        statusBadge(round.status),
        round.strategy,
        formatPercent(round.accuracy),
        round.loss === null ? "—" : round.loss.toFixed(4),
        formatTime(round.closedAt),
      ]),
      { id: "rounds" },
    ),
  );
  return { node, draw: () => measured.length > 0 && accuracyChart(canvas, rounds) };
}

function participantsSection(participants) {
  return wideSection(
    "Participants",
    participants.length === 0
      ? muted("No participants yet.")
      : table(
          [
            "Holder",
            "Address",
            "Payout rail",
            "Model tier",
            "Agreed price",
            "Rounds trained",
            "Backends",
          ],
          participants.map((p) => ({
            attributes: { "data-holder-id": p.holderId },
            cells: [
              holderLink(p.holderId, shortId(p.holderId)),
              short(p.address),
              [p.payoutRail ?? "—", p.payoutRail === "sandbox" ? [" ", sandboxBadge()] : null],
              p.modelTier === null ? "—" : `tier ${p.modelTier}`,
              p.agreedPrice === null ? "—" : moneyCell(p.agreedPrice, false),
              `${p.roundsTrained}${p.lateUpdates > 0 ? ` (+${p.lateUpdates} late)` : ""}`,
              p.backends.length === 0 ? "—" : p.backends.join(", "),
            ],
          })),
          { id: "participants" },
        ),
  );
}

function payoutSection(participants, method, currency) {
  const paid = participants.filter((p) => p.payout !== null);
  const plotted = paid.filter((p) => p.contribution !== null);
  const { box, canvas } = chartBox("contribution-chart", "Contribution against payout per holder");
  const node = wideSection(
    "Contribution and payout",
    method === null
      ? muted("No contributions scored yet.")
      : muted(`Contribution method: ${method}`),
    plotted.length === 0 ? null : box,
    paid.length === 0
      ? muted("No payout table yet.")
      : table(
          ["Holder", "Contribution", "Base", "Bonus", "Payout", "Rail", "Status"],
          paid.map((p) => ({
            attributes: { "data-holder-id": p.holderId },
            cells: [
              holderLink(p.holderId, shortId(p.holderId)),
              p.contribution === null ? "—" : p.contribution.toFixed(4),
              moneyCell(p.payout.base, false),
              moneyCell(p.payout.bonus, false),
              moneyCell(p.payout.amount, p.payout.sandbox),
              p.payout.rail,
              statusBadge(p.payout.status),
            ],
          })),
          { id: "payouts" },
        ),
  );
  const draw = () =>
    plotted.length > 0 &&
    contributionPayoutChart(
      canvas,
      plotted.map((p) => ({
        x: p.contribution,
        y: moneyForChart(p.payout.amount),
        sandbox: p.payout.sandbox,
        label: `${shortId(p.holderId)}: ${formatMoney(p.payout.amount)}${p.payout.sandbox ? " (sandbox)" : ""}`,
      })),
      currency,
    );
  return { node, draw };
}

function privacySection(participants, bound) {
  const charged = participants.filter((p) => p.privacy !== null);
  const { box, canvas } = chartBox("epsilon-chart", "Privacy budget ε spent per holder");
  const node = section(
    "Privacy spent (ε per holder)",
    charged.length === 0 ? muted("No privacy charged yet.") : box,
    charged.length === 0
      ? null
      : table(
          ["Holder", "ε", "δ"],
          charged.map((p) => ({
            attributes: { "data-holder-id": p.holderId },
            cells: [
              holderLink(p.holderId, shortId(p.holderId)),
              formatEpsilon(p.privacy.epsilon),
              String(p.privacy.delta),
            ],
          })),
          { id: "privacy" },
        ),
  );
  const draw = () =>
    charged.length > 0 &&
    epsilonChart(
      canvas,
      charged.map((p) => ({ label: shortId(p.holderId), epsilon: p.privacy.epsilon })),
      bound,
    );
  return { node, draw };
}

function settlementSection(settlement) {
  const counts = Object.entries(settlement.byStatus)
    .filter(([, count]) => count > 0)
    .map(([status, count]) => `${count} ${status}`)
    .join(", ");
  const facts = [
    ["Task status", statusBadge(settlement.taskStatus)],
    ["Payout lines", counts || "none"],
    ["Allocated to holders", moneyCell(settlement.allocated, settlement.sandbox)],
    ["Left for the owner", moneyCell(settlement.remainder, settlement.sandbox)],
    ["Held in escrow (ledger)", moneyCell(settlement.heldInEscrow, settlement.sandbox)],
  ];
  return wideSection(
    "Settlement",
    el(
      "dl",
      { class: "facts", id: "settlement" },
      facts.map(([term, value]) => [el("dt", {}, term), el("dd", {}, value)]),
    ),
    settlement.byRail.length === 0
      ? null
      : table(
          ["Rail", "Lines", "Allocated", "Paid out"],
          settlement.byRail.map((rail) => ({
            attributes: { "data-rail": rail.rail },
            cells: [
              [rail.rail, rail.sandbox ? [" ", sandboxBadge()] : null],
              String(rail.lines),
              moneyCell(rail.allocated, rail.sandbox),
              moneyCell(rail.paid, rail.sandbox),
            ],
          })),
          { id: "settlement-rails" },
        ),
  );
}

renderPage(async () => {
  const view = await getJson(`/dashboard/api/tasks/${encodeURIComponent(idFromPath())}`);
  const { task, rounds, participants, settlement } = view;
  const parts = [
    roundsSection(rounds),
    privacySection(participants, task.privacyBound.epsilon),
    { node: participantsSection(participants), draw: () => {} },
    payoutSection(participants, view.contributionMethod, task.budget.currency),
    { node: settlementSection(settlement), draw: () => {} },
  ];
  const name = task.name ?? task.id;
  const nodes = [
    el("h1", {}, name, " ", el("span", { class: "muted mono" }, task.id)),
    section("Overview", summary(task, settlement)),
    el(
      "div",
      { class: "grid" },
      parts.map((part) => part.node),
    ),
  ];
  return {
    title: name,
    nodes,
    afterRender: () => {
      for (const part of parts) part.draw();
    },
  };
});
