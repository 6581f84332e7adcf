import { AgoraError } from "../errors/agora-error.ts";

/**
 * Money crosses the database boundary as the decimal text of a `numeric(78,0)`.
 * Reading it back must give exactly the bigint that went in; anything that is
 * not a plain integer means a bug or a corrupted row, never a value to round.
 */
export function moneyFromColumn(value: string): bigint {
  if (!/^-?\d+$/.test(value)) {
    throw new AgoraError("internal", "A money column holds a non-integer value", {
      detail: `"${value}" is not an integer amount in minor units.`,
    });
  }
  return BigInt(value);
}

/** Writes a bigint amount as the exact decimal text the column stores. */
export const moneyToColumn = (amount: bigint): string => amount.toString();
