import { AgoraError } from "../../errors/agora-error.ts";
import { logBinomial, logErfc } from "./special-functions.ts";

/**
 * Rényi-DP accounting for the Poisson-subsampled Gaussian mechanism
 * (Mironov et al. 2019, "Rényi Differential Privacy of the Sampled Gaussian
 * Mechanism"), computed as TensorFlow Privacy / Google's dp_accounting and
 * Opacus do: integer orders by the binomial expansion, fractional orders by
 * the two-sided series of Sec. 3.3, and the conversion to (ε, δ) of Balle et
 * al. 2020 (Prop. 12 of arXiv:2004.00010).
 */
export const defaultOrders: readonly number[] = [
  ...Array.from({ length: 99 }, (_, i) => 1 + (i + 1) / 10),
  ...Array.from({ length: 52 }, (_, i) => 12 + i),
];

function logAdd(x: number, y: number): number {
  const a = Math.min(x, y);
  const b = Math.max(x, y);
  if (a === Number.NEGATIVE_INFINITY) return b;
  return Math.log1p(Math.exp(a - b)) + b;
}

function logAInteger(q: number, sigma: number, alpha: number): number {
  let logA = Number.NEGATIVE_INFINITY;
  const log1mq = Math.log1p(-q);
  for (let i = 0; i <= alpha; i++) {
    const logCoef = logBinomial(alpha, i) + i * Math.log(q) + (alpha - i) * log1mq;
    logA = logAdd(logA, logCoef + (i * i - i) / (2 * sigma * sigma));
  }
  return logA;
}

function logAFractional(q: number, sigma: number, alpha: number): number {
  let logA0 = Number.NEGATIVE_INFINITY;
  let logA1 = Number.NEGATIVE_INFINITY;
  const z0 = sigma * sigma * Math.log(1 / q - 1) + 0.5;
  const log1mq = Math.log1p(-q);
  let lastS0 = Number.NEGATIVE_INFINITY;
  let lastS1 = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < 1000; i++) {
    const logCoef = logBinomial(alpha, i);
    const j = alpha - i;
    const logT0 = logCoef + i * Math.log(q) + j * log1mq;
    const logT1 = logCoef + j * Math.log(q) + i * log1mq;
    const logE0 = Math.log(0.5) + logErfc((i - z0) / (Math.SQRT2 * sigma));
    const logE1 = Math.log(0.5) + logErfc((z0 - j) / (Math.SQRT2 * sigma));
    const logS0 = logT0 + (i * i - i) / (2 * sigma * sigma) + logE0;
    const logS1 = logT1 + (j * j - j) / (2 * sigma * sigma) + logE1;
    logA0 = logAdd(logA0, logS0);
    logA1 = logAdd(logA1, logS1);
    const total = logAdd(logA0, logA1);
    // Stop once both series decrease and their terms no longer matter.
    if (logS0 < lastS0 && logS1 < lastS1 && Math.max(logS0, logS1) < total - 30) return total;
    lastS0 = logS0;
    lastS1 = logS1;
  }
  // Not converged: this order gives no usable bound, so it is left out of the minimum.
  return Number.POSITIVE_INFINITY;
}

/** RDP of one step of the subsampled Gaussian mechanism at one order. */
function rdpOneStep(q: number, sigma: number, alpha: number): number {
  if (q === 0) return 0;
  if (!Number.isFinite(alpha) || sigma === 0) return Number.POSITIVE_INFINITY;
  if (q === 1) return alpha / (2 * sigma * sigma);
  const logA = Number.isInteger(alpha)
    ? logAInteger(q, sigma, alpha)
    : logAFractional(q, sigma, alpha);
  return logA / (alpha - 1);
}

/**
 * RDP at each order after `steps` compositions of the Gaussian mechanism with
 * noise multiplier σ applied to a Poisson sample of rate q.
 */
export function computeRdp(
  q: number,
  noiseMultiplier: number,
  steps: number,
  orders: readonly number[] = defaultOrders,
): number[] {
  if (!(q >= 0 && q <= 1)) {
    throw new AgoraError("invalid", "Sampling rate must be in [0, 1]", { detail: `got ${q}.` });
  }
  if (!(noiseMultiplier >= 0)) {
    throw new AgoraError("invalid", "Noise multiplier must be non-negative", {
      detail: `got ${noiseMultiplier}.`,
    });
  }
  if (!Number.isInteger(steps) || steps < 0) {
    throw new AgoraError("invalid", "Steps must be a non-negative integer", {
      detail: `got ${steps}.`,
    });
  }
  for (const order of orders) {
    if (!(order > 1)) {
      throw new AgoraError("invalid", "RDP orders must exceed 1", { detail: `got ${order}.` });
    }
  }
  return orders.map((alpha) => {
    const rdp = rdpOneStep(q, noiseMultiplier, alpha);
    return rdp === 0 ? 0 : rdp * steps;
  });
}

export interface EpsilonResult {
  epsilon: number;
  /** The order at which the bound is tightest. */
  order: number;
}

/** Smallest ε over the orders such that the mechanism is (ε, δ)-DP. */
export function epsilonFromRdp(
  orders: readonly number[],
  rdp: readonly number[],
  delta: number,
): EpsilonResult {
  if (!(delta > 0 && delta < 1)) {
    throw new AgoraError("invalid", "δ must be in (0, 1)", { detail: `got ${delta}.` });
  }
  if (orders.length !== rdp.length || orders.length === 0) {
    throw new AgoraError("invalid", "Orders and RDP values must pair up");
  }
  let best: EpsilonResult = { epsilon: Number.POSITIVE_INFINITY, order: orders[0] as number };
  orders.forEach((alpha, index) => {
    const r = rdp[index] as number;
    let epsilon: number;
    if (r < 0) epsilon = 0;
    else if (delta * delta + Math.expm1(-r) > 0) {
      // δ ≥ sqrt(1 − e^(−KL)): the divergence bound alone gives ε = 0.
      epsilon = 0;
    } else if (alpha > 1.01) {
      epsilon = r + Math.log1p(-1 / alpha) - Math.log(delta * alpha) / (alpha - 1);
    } else epsilon = Number.POSITIVE_INFINITY;
    if (epsilon < best.epsilon) best = { epsilon, order: alpha };
  });
  return { epsilon: Math.max(0, best.epsilon), order: best.order };
}

/** Smallest δ over the orders for a target ε. */
export function deltaFromRdp(
  orders: readonly number[],
  rdp: readonly number[],
  epsilon: number,
): { delta: number; order: number } {
  if (!(epsilon >= 0)) {
    throw new AgoraError("invalid", "ε must be non-negative", { detail: `got ${epsilon}.` });
  }
  let bestLog = Number.POSITIVE_INFINITY;
  let bestOrder = orders[0] as number;
  orders.forEach((alpha, index) => {
    const r = rdp[index] as number;
    let logDelta = r <= 0 ? Number.NEGATIVE_INFINITY : 0.5 * Math.log1p(-Math.exp(-r));
    if (alpha > 1.01) {
      const bound = (alpha - 1) * (r - epsilon + Math.log1p(-1 / alpha)) - Math.log(alpha);
      logDelta = Math.min(logDelta, bound);
    }
    if (logDelta < bestLog) {
      bestLog = logDelta;
      bestOrder = alpha;
    }
  });
  return { delta: Math.min(Math.exp(bestLog), 1), order: bestOrder };
}
