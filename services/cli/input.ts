import { readFile } from "node:fs/promises";
import { InvalidArgumentError } from "commander";
import { UsageError } from "./exit-codes.ts";

/**
 * Parsers for option values (commander calls them and turns a throw into a
 * usage error, exit 1) and the JSON input files commands read.
 */

/** Minor units of a currency as a decimal string: money never becomes a float. */
export function minorUnitsArg(value: string): string {
  if (!/^\d{1,78}$/.test(value))
    throw new InvalidArgumentError("expected whole minor units, e.g. 1500");
  return BigInt(value).toString();
}

export function nonNegativeNumberArg(value: string): number {
  const parsed = Number(value);
  if (value.trim() === "" || !Number.isFinite(parsed) || parsed < 0)
    throw new InvalidArgumentError("expected a non-negative number");
  return parsed;
}

/** A parser for integers in [min, max]. */
export const integerArg =
  (min: number, max: number) =>
  (value: string): number => {
    const parsed = Number(value);
    if (!/^\d+$/.test(value) || parsed < min || parsed > max)
      throw new InvalidArgumentError(`expected a whole number from ${min} to ${max}`);
    return parsed;
  };

export function isoDateArg(value: string): string {
  const time = Date.parse(value);
  if (Number.isNaN(time)) throw new InvalidArgumentError("expected an ISO 8601 date and time");
  return new Date(time).toISOString();
}

/** `label=share,label=share`, each share in [0, 1]. */
export function coverageArg(value: string): Record<string, number> {
  const coverage: Record<string, number> = {};
  for (const pair of value.split(",")) {
    const [label, share, extra] = pair.split("=");
    const parsed = Number(share);
    if (!label || extra !== undefined || !Number.isFinite(parsed) || parsed < 0 || parsed > 1)
      throw new InvalidArgumentError("expected label=share pairs, e.g. 0=0.6,1=0.4");
    coverage[label.trim()] = parsed;
  }
  return coverage;
}

/** Reads a JSON object from a file; a missing file or bad JSON is the caller's mistake (exit 1). */
export async function readJsonObject(path: string, what: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === "ENOENT" ? "no such file" : (code ?? String(error));
    throw new UsageError(`cannot read the ${what} file ${path}: ${reason}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new UsageError(
      `the ${what} file ${path} is not valid JSON: ${error instanceof Error ? error.message : error}`,
    );
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed))
    throw new UsageError(`the ${what} file ${path} must hold a JSON object`);
  return parsed as Record<string, unknown>;
}
