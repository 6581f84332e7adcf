/**
 * Seeded randomness for everything that must be reproducible: partitions,
 * client sampling, data shuffling, DP noise in tests and benchmarks.
 * `Math.random` is never used for these, so a run can be replayed from its seed.
 */
export type Rng = () => number;

/** FNV-1a, so string seeds such as `task|round|holder` map to 32-bit states. */
export function seedFrom(value: number | string): number {
  const text = String(value);
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** Mulberry32: small, fast, and good enough for sampling (not for secrets). */
export function seededRng(seed: number | string): Rng {
  let state = seedFrom(seed);
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal sample (Box–Muller). */
export function gaussian(rng: Rng): number {
  let u = 0;
  while (u === 0) u = rng();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng());
}

/** Gamma(shape, 1) sample (Marsaglia–Tsang), the building block of Dirichlet draws. */
export function gammaSample(rng: Rng, shape: number): number {
  if (shape < 1) {
    // Boost: Gamma(a) = Gamma(a + 1) * U^(1/a).
    return gammaSample(rng, shape + 1) * rng() ** (1 / shape);
  }
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x = 0;
    let v = 0;
    do {
      x = gaussian(rng);
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = rng();
    if (u < 1 - 0.0331 * x ** 4) return d * v;
    if (Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
  }
}

/** Fisher–Yates in place; returns the same array. */
export function shuffleInPlace<T>(items: T[], rng: Rng): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    const a = items[i] as T;
    items[i] = items[j] as T;
    items[j] = a;
  }
  return items;
}

/** `k` distinct items chosen uniformly, in random order. */
export function sampleWithoutReplacement<T>(items: readonly T[], k: number, rng: Rng): T[] {
  return shuffleInPlace([...items], rng).slice(0, Math.min(k, items.length));
}
