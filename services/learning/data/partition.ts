import { AgoraError } from "../../errors/agora-error.ts";
import { classCount } from "../models/architecture.ts";
import { gammaSample, type Rng, shuffleInPlace } from "../util/random.ts";

/**
 * How a pool of examples is split among holders. Each partitioner returns
 * one index list per holder; together they cover the pool exactly once.
 */
export type PartitionScheme =
  | { kind: "iid" }
  /** Label proportions per holder drawn from Dirichlet(α); small α is very skewed. */
  | { kind: "dirichlet"; alpha: number }
  /** McMahan's pathological split: sort by label, cut into shards, `shardsPerHolder` each. */
  | { kind: "shards"; shardsPerHolder: number };

function assertHolders(holders: number, pool: number): void {
  if (!Number.isInteger(holders) || holders < 1 || holders > pool) {
    throw new AgoraError("invalid", "Invalid holder count for a partition", {
      detail: `${holders} holders for ${pool} examples.`,
    });
  }
}

/** Uniformly random, equal-sized shares (sizes differ by at most one). */
export function partitionIid(pool: readonly number[], holders: number, rng: Rng): number[][] {
  assertHolders(holders, pool.length);
  const shuffled = shuffleInPlace([...pool], rng);
  return Array.from({ length: holders }, (_, h) => shuffled.filter((_, i) => i % holders === h));
}

/**
 * For each class, split its examples among holders by proportions drawn from
 * Dirichlet(α) (Hsu et al. 2019). Holders can end up with no examples at
 * very small α; callers that need a minimum should check sizes.
 */
export function partitionDirichlet(
  pool: readonly number[],
  labels: Uint8Array,
  holders: number,
  alpha: number,
  rng: Rng,
): number[][] {
  assertHolders(holders, pool.length);
  if (!(alpha > 0) || !Number.isFinite(alpha)) {
    throw new AgoraError("invalid", "Dirichlet α must be a positive number", {
      detail: `got ${alpha}.`,
    });
  }
  const parts: number[][] = Array.from({ length: holders }, () => []);
  for (let label = 0; label < classCount; label++) {
    const members = shuffleInPlace(
      pool.filter((index) => labels[index] === label),
      rng,
    );
    const draws = Array.from({ length: holders }, () => gammaSample(rng, alpha));
    const total = draws.reduce((a, b) => a + b, 0);
    // Cumulative cut points, so rounding never loses or duplicates an example.
    let start = 0;
    let cumulative = 0;
    for (let h = 0; h < holders; h++) {
      cumulative += (draws[h] as number) / total;
      const end = h === holders - 1 ? members.length : Math.round(cumulative * members.length);
      (parts[h] as number[]).push(...members.slice(start, end));
      start = end;
    }
  }
  return parts;
}

/** Sort by label, cut into `holders × shardsPerHolder` equal shards, deal them at random. */
export function partitionShards(
  pool: readonly number[],
  labels: Uint8Array,
  holders: number,
  shardsPerHolder: number,
  rng: Rng,
): number[][] {
  assertHolders(holders, pool.length);
  const shardCount = holders * shardsPerHolder;
  if (!Number.isInteger(shardsPerHolder) || shardsPerHolder < 1 || shardCount > pool.length) {
    throw new AgoraError("invalid", "Invalid shard count", {
      detail: `${shardsPerHolder} shards per holder × ${holders} holders for ${pool.length} examples.`,
    });
  }
  // Stable by label, ties broken by a random order so shards of one label differ between seeds.
  const sorted = shuffleInPlace([...pool], rng).sort(
    (a, b) => (labels[a] as number) - (labels[b] as number),
  );
  const shardSize = Math.floor(sorted.length / shardCount);
  const shardIds = shuffleInPlace(
    Array.from({ length: shardCount }, (_, i) => i),
    rng,
  );
  return Array.from({ length: holders }, (_, h) =>
    shardIds
      .slice(h * shardsPerHolder, (h + 1) * shardsPerHolder)
      .flatMap((shard) => sorted.slice(shard * shardSize, (shard + 1) * shardSize)),
  );
}

/** Dispatches on the scheme. */
export function partition(
  pool: readonly number[],
  labels: Uint8Array,
  holders: number,
  scheme: PartitionScheme,
  rng: Rng,
): number[][] {
  switch (scheme.kind) {
    case "iid":
      return partitionIid(pool, holders, rng);
    case "dirichlet":
      return partitionDirichlet(pool, labels, holders, scheme.alpha, rng);
    case "shards":
      return partitionShards(pool, labels, holders, scheme.shardsPerHolder, rng);
  }
}
