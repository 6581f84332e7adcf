import type { z } from "zod";
import { AgoraError, type ErrorKind } from "../errors/agora-error.ts";

/** `["budget", "amount"]` → `/budget/amount` (RFC 6901, with its escapes). */
export const toJsonPointer = (path: readonly PropertyKey[]): string =>
  path.map((part) => `/${String(part).replaceAll("~", "~0").replaceAll("/", "~1")}`).join("");

/**
 * Parses `input` with `schema` or throws an AgoraError listing every issue.
 * Bodies that fail are `invalid` (422); query strings and path parameters that
 * fail are `bad_request` (400) because the request itself is malformed.
 */
export function parseOrThrow<Schema extends z.ZodType>(
  schema: Schema,
  input: unknown,
  where: "body" | "query" | "params",
): z.infer<Schema> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const kind: ErrorKind = where === "body" ? "invalid" : "bad_request";
  const issues = result.error.issues.map((issue) => ({
    pointer: toJsonPointer(issue.path),
    message: issue.message,
  }));
  throw new AgoraError(kind, where === "body" ? "Invalid request body" : `Invalid ${where}`, {
    detail: issues.map((issue) => `${issue.pointer || "/"}: ${issue.message}`).join("; "),
    issues,
  });
}
