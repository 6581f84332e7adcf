import {
  gini,
  labelDistribution,
  normalise,
  totalVariation,
} from "../../market/mechanism/selection-bias.ts";
import { type CheckResult, checkResult, type Finding, skippedCheck } from "./audit-findings.ts";
import type { AuditInputs } from "./audit-inputs.ts";

/** Two computations of the same metric from the same rows agree to float rounding. */
const metricSlack = 1e-9;

/**
 * Selection bias, recomputed from the selected bids rather than taken from the selection summary:
 * the total-variation distance between the selected holders' pooled labels and the population
 * (against the owner's bound), and the Gini coefficient of participation, as planned and as it
 * happened (on-time updates per selected holder). A summary that misreports its own metrics
 * fails; a selection over its coverage bound is a warning (the task may go ahead under-covered).
 */
export function checkSelectionBias(inputs: AuditInputs): CheckResult {
  const summary = inputs.selection;
  if (summary === undefined) {
    return skippedCheck("selection-bias", "no selection is stored for this task");
  }
  const findings: Finding[] = [];
  const spec = inputs.task.spec as { data?: { labels?: unknown } };
  const labels = Array.isArray(spec.data?.labels)
    ? spec.data.labels.map(String)
    : Object.keys((summary.population as Record<string, number> | undefined) ?? {});
  const population = normalise((summary.population as Record<string, number>) ?? {}, labels);
  const selected = labelDistribution(inputs.selectedBids, labels);
  const labelTv =
    inputs.selectedBids.length === 0 ? 1 : totalVariation(selected, population, labels);
  const reportedTv = typeof summary.labelTv === "number" ? summary.labelTv : null;
  const maxLabelTv = typeof summary.maxLabelTv === "number" ? summary.maxLabelTv : null;
  if (reportedTv !== null && Math.abs(reportedTv - labelTv) > metricSlack) {
    findings.push({
      severity: "fail",
      code: "label_tv_misreported",
      message: `the selection reports label TV ${reportedTv}, the selected bids give ${labelTv}`,
    });
  }
  if (maxLabelTv !== null && labelTv > maxLabelTv + metricSlack) {
    findings.push({
      severity: "warn",
      code: "label_coverage_not_met",
      message: `label TV ${labelTv.toFixed(4)} exceeds the owner's bound ${maxLabelTv}`,
    });
  }

  const planned = (summary.participation as Record<string, number> | undefined) ?? {};
  const plannedGini = gini(Object.values(planned));
  const reportedGini =
    typeof summary.participationGini === "number" ? summary.participationGini : null;
  if (reportedGini !== null && Math.abs(reportedGini - plannedGini) > metricSlack) {
    findings.push({
      severity: "fail",
      code: "participation_gini_misreported",
      message: `the selection reports participation Gini ${reportedGini}, its own plan gives ${plannedGini}`,
    });
  }
  const actual = new Map<string, number>(inputs.selectedBids.map((bid) => [bid.holderId, 0]));
  for (const update of inputs.updates) {
    actual.set(update.holderId, (actual.get(update.holderId) ?? 0) + 1);
  }
  const actualGini = gini([...actual.values()]);
  return checkResult(
    "selection-bias",
    `label TV ${labelTv.toFixed(4)}${maxLabelTv === null ? "" : ` (bound ${maxLabelTv})`}; participation Gini planned ${plannedGini.toFixed(4)}, actual ${actualGini.toFixed(4)}`,
    findings,
    {
      labelTv,
      reportedLabelTv: reportedTv,
      maxLabelTv,
      selectedDistribution: selected,
      population,
      plannedParticipationGini: plannedGini,
      reportedParticipationGini: reportedGini,
      actualParticipationGini: actualGini,
      actualParticipation: Object.fromEntries(actual),
    },
  );
}
