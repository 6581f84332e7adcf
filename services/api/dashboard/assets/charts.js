/**
 * Thin wrappers over Chart.js (loaded as the `Chart` global from
 * /dashboard/vendor). No animation: pages render in their final state at
 * once, which screenshots and tests rely on.
 */
const Chart = globalThis.Chart;
Chart.defaults.animation = false;
Chart.defaults.maintainAspectRatio = false;
Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;

const palette = ["#2563eb", "#16a34a", "#d97706", "#9333ea", "#dc2626", "#0891b2", "#4d7c0f"];
export const colour = (index) => palette[index % palette.length];

/** A canvas in a sized box, as Chart.js's responsive mode wants. */
export function chartBox(id, label) {
  const canvas = document.createElement("canvas");
  canvas.id = id;
  canvas.setAttribute("role", "img");
  canvas.setAttribute("aria-label", label);
  const box = document.createElement("div");
  box.className = "chart";
  box.append(canvas);
  return { box, canvas };
}

/** Accuracy per round: one point per round that has an accuracy. */
export function accuracyChart(canvas, rounds) {
  const measured = rounds.filter((round) => round.accuracy !== null);
  return new Chart(canvas, {
    type: "line",
    data: {
      labels: measured.map((round) => `Round ${round.round}`),
      datasets: [
        {
          label: "Validation accuracy",
          data: measured.map((round) => round.accuracy),
          borderColor: colour(0),
          backgroundColor: colour(0),
          tension: 0.2,
        },
      ],
    },
    options: {
      scales: {
        y: {
          suggestedMin: 0,
          suggestedMax: 1,
          ticks: { callback: (value) => `${Math.round(value * 100)}%` },
        },
      },
      plugins: {
        tooltip: {
          callbacks: { label: (item) => `${(item.parsed.y * 100).toFixed(2)}%` },
        },
      },
    },
  });
}

/**
 * Contribution against payout: one point per paid participant. Tooltips show
 * the exact amount as text; the axis only places the point.
 */
export function contributionPayoutChart(canvas, points, currency) {
  return new Chart(canvas, {
    type: "scatter",
    data: {
      datasets: [
        {
          label: "Participants",
          data: points.map((point) => ({ x: point.x, y: point.y, label: point.label })),
          backgroundColor: points.map((point) => (point.sandbox ? "#d97706" : colour(0))),
          pointRadius: 6,
        },
      ],
    },
    options: {
      scales: {
        x: { title: { display: true, text: "Contribution (summed over rounds)" } },
        y: { title: { display: true, text: `Payout (${currency})` }, beginAtZero: true },
      },
      plugins: {
        legend: { display: false },
        tooltip: { callbacks: { label: (item) => item.raw.label } },
      },
    },
  });
}

/** ε spent per holder, against the task's bound when it has one. */
export function epsilonChart(canvas, bars, bound) {
  const datasets = [
    {
      type: "bar",
      label: "ε spent",
      data: bars.map((bar) => bar.epsilon),
      backgroundColor: colour(3),
    },
  ];
  if (bound !== null) {
    datasets.push({
      type: "line",
      label: "ε bound of the task",
      data: bars.map(() => bound),
      borderColor: colour(4),
      borderDash: [6, 4],
      pointRadius: 0,
    });
  }
  return new Chart(canvas, {
    data: { labels: bars.map((bar) => bar.label), datasets },
    options: { scales: { y: { beginAtZero: true, title: { display: true, text: "ε" } } } },
  });
}

/** A holder's privacy budget: spent against left. */
export function budgetChart(canvas, spent, left) {
  return new Chart(canvas, {
    type: "doughnut",
    data: {
      labels: ["ε spent", "ε left"],
      datasets: [{ data: [spent, left], backgroundColor: [colour(3), "#e5e7eb"] }],
    },
    options: { plugins: { legend: { position: "bottom" } } },
  });
}
