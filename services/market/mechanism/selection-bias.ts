/**
 * Selection-bias metrics: how far the selected holders' pooled label
 * distribution is from the population's, and how unevenly participation is
 * spread across holders over rounds.
 */

/** Something that contributes labelled samples: a bid, a holder's data summary. */
export interface LabelledSamples {
  samples: number;
  /** Label → share of the samples (sums to about 1). */
  labelCoverage: Readonly<Record<string, number>>;
}

/**
 * Pooled label distribution over `labels`: each item weighs in with its
 * samples. Labels outside the list are ignored; an empty pool gives all zeros.
 */
export function labelDistribution(
  items: Iterable<LabelledSamples>,
  labels: readonly string[],
): Record<string, number> {
  const mass: Record<string, number> = Object.fromEntries(labels.map((label) => [label, 0]));
  let total = 0;
  for (const item of items) {
    for (const label of labels) {
      const share = item.labelCoverage[label] ?? 0;
      if (share > 0) {
        const samples = item.samples * share;
        mass[label] = (mass[label] ?? 0) + samples;
        total += samples;
      }
    }
  }
  if (total === 0) return mass;
  for (const label of labels) mass[label] = (mass[label] ?? 0) / total;
  return mass;
}

/** Normalises a histogram (counts or shares) over `labels` to a distribution. */
export function normalise(
  histogram: Readonly<Record<string, number>>,
  labels: readonly string[],
): Record<string, number> {
  const total = labels.reduce((sum, label) => sum + Math.max(histogram[label] ?? 0, 0), 0);
  return Object.fromEntries(
    labels.map((label) => [label, total === 0 ? 0 : Math.max(histogram[label] ?? 0, 0) / total]),
  );
}

/** Total-variation distance ½ Σ |p − q| over `labels`, in [0, 1]. */
export function totalVariation(
  p: Readonly<Record<string, number>>,
  q: Readonly<Record<string, number>>,
  labels: readonly string[],
): number {
  let sum = 0;
  for (const label of labels) sum += Math.abs((p[label] ?? 0) - (q[label] ?? 0));
  return sum / 2;
}

/**
 * Gini coefficient of non-negative values (0: perfectly even, → 1: one holder
 * takes everything). Used on per-holder participation counts across rounds.
 */
export function gini(values: readonly number[]): number {
  const n = values.length;
  if (n === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const total = sorted.reduce((sum, value) => sum + value, 0);
  if (total === 0) return 0;
  let weighted = 0;
  for (let i = 0; i < n; i++) weighted += (i + 1) * (sorted[i] as number);
  return (2 * weighted) / (n * total) - (n + 1) / n;
}
