/**
 * The special functions the RDP accountant needs, accurate to near double
 * precision over the ranges it uses: log Γ (Lanczos, g = 7) for binomial
 * coefficients of fractional order, and log erfc for large arguments, where
 * erfc itself underflows.
 */
const lanczos = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313,
  -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6,
  1.5056327351493116e-7,
];

export function logGamma(x: number): number {
  if (x < 0.5) {
    // Reflection: Γ(x)Γ(1−x) = π / sin(πx).
    return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1 - x);
  }
  const z = x - 1;
  let sum = lanczos[0] as number;
  for (let i = 1; i < lanczos.length; i++) sum += (lanczos[i] as number) / (z + i);
  const t = z + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(sum);
}

/** log C(n, k) for real n, k. */
export const logBinomial = (n: number, k: number): number =>
  logGamma(n + 1) - logGamma(k + 1) - logGamma(n - k + 1);

/** erf by its Maclaurin series; used for |x| < 2, where it converges in < 40 terms. */
function erfSeries(x: number): number {
  let term = x;
  let sum = x;
  const x2 = x * x;
  for (let n = 1; n < 200; n++) {
    term *= -x2 / n;
    const next = term / (2 * n + 1);
    sum += next;
    if (Math.abs(next) < 1e-17 * Math.abs(sum)) break;
  }
  return (2 / Math.sqrt(Math.PI)) * sum;
}

/** log of the continued fraction in erfc(x) = e^(−x²)/√π · CF(x), x ≥ 2 (modified Lentz). */
function logErfcContinuedFraction(x: number): number {
  // erfc(x) = e^{-x²}/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + 2/(x + ...)))))
  const tiny = 1e-300;
  let f = x;
  let c = x;
  let d = 0;
  for (let n = 1; n < 500; n++) {
    const a = n / 2;
    d = x + a * d;
    d = Math.abs(d) < tiny ? tiny : d;
    c = x + a / c;
    c = Math.abs(c) < tiny ? tiny : c;
    d = 1 / d;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return -x * x - 0.5 * Math.log(Math.PI) - Math.log(f);
}

/** log(erfc(x)) for any real x, without underflow for large x. */
export function logErfc(x: number): number {
  if (x >= 2) return logErfcContinuedFraction(x);
  if (x > -2) return Math.log1p(-erfSeries(x));
  // erfc(x) = 2 − erfc(−x), and erfc(−x) < 4.7e-3 here.
  return Math.log(2 - Math.exp(logErfcContinuedFraction(-x)));
}
