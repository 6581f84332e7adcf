import { AgoraError } from "../../errors/agora-error.ts";

/**
 * Splits `total` minor units in proportion to non-negative integer weights so
 * that the parts are integers summing exactly to `total` (Hamilton's
 * largest-remainder method): everyone gets the floor of their exact share, and
 * the units left over go one each to the largest fractional remainders.
 *
 * Ties in the remainder go to the larger weight, then to the earlier key, so
 * the result is deterministic and monotone: a larger weight never receives
 * less than a smaller one.
 *
 * All arithmetic is on bigint, so the split is exact for any total.
 */
export function splitByLargestRemainder(
  total: bigint,
  weights: ReadonlyArray<{ key: string; weight: bigint }>,
): Map<string, bigint> {
  if (total < 0n) throw new AgoraError("invalid", "Cannot split a negative amount");
  const parts = new Map<string, bigint>();
  let weightSum = 0n;
  for (const { key, weight } of weights) {
    if (weight < 0n) {
      throw new AgoraError("invalid", "Negative weight", {
        detail: `Weight of ${key} is ${weight}.`,
      });
    }
    if (parts.has(key)) throw new AgoraError("invalid", "Duplicate key", { detail: key });
    parts.set(key, 0n);
    weightSum += weight;
  }
  if (weightSum === 0n || total === 0n) return parts;

  let handedOut = 0n;
  const remainders: Array<{ key: string; weight: bigint; remainder: bigint }> = [];
  for (const { key, weight } of weights) {
    const exact = total * weight;
    const floor = exact / weightSum;
    parts.set(key, floor);
    handedOut += floor;
    remainders.push({ key, weight, remainder: exact % weightSum });
  }
  remainders.sort((a, b) =>
    a.remainder !== b.remainder
      ? a.remainder > b.remainder
        ? -1
        : 1
      : a.weight !== b.weight
        ? a.weight > b.weight
          ? -1
          : 1
        : a.key < b.key
          ? -1
          : a.key > b.key
            ? 1
            : 0,
  );
  // Fewer leftover units than parties: each floor loses less than one unit.
  let leftover = total - handedOut;
  for (const entry of remainders) {
    if (leftover === 0n) break;
    parts.set(entry.key, (parts.get(entry.key) ?? 0n) + 1n);
    leftover -= 1n;
  }
  return parts;
}
