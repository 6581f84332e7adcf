import { z } from "zod";

/** Money in advisor answers: a decimal string of minor units (JSON has no bigint). */
export const moneyString = z
  .string()
  .regex(/^\d{1,78}$/, "a decimal string of minor units")
  .transform((value) => BigInt(value));
