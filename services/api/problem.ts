import type { Response } from "express";
import { AgoraError, type FieldIssue, isAgoraError } from "../errors/agora-error.ts";

/** RFC 9457 problem details, with Agora's `code` and field `errors` extensions. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  /** Machine-readable kind, stable across releases. */
  code: string;
  errors?: FieldIssue[];
  [extension: string]: unknown;
}

export const problemContentType = "application/problem+json";

const problemTypeBase = "https://agora.dev/problems/";

/**
 * Body-parser and http-errors failures carry `status` and `type`; map the ones
 * a client can cause to the matching 4xx so they never surface as 500.
 */
function fromHttpError(error: unknown): AgoraError | undefined {
  const candidate = error as { status?: unknown; type?: unknown; message?: unknown };
  if (typeof candidate?.status !== "number" || candidate.status < 400 || candidate.status >= 500) {
    return undefined;
  }
  switch (candidate.type) {
    case "entity.parse.failed":
      return new AgoraError("bad_request", "Malformed JSON body", {
        detail: "The request body is not valid JSON.",
      });
    case "entity.too.large":
      return new AgoraError("payload_too_large", "Request body too large", {
        detail: String(candidate.message ?? ""),
      });
    case "encoding.unsupported":
    case "charset.unsupported":
      return new AgoraError("unsupported_media_type", "Unsupported body encoding", {
        detail: String(candidate.message ?? ""),
      });
    default:
      return new AgoraError(candidate.status === 404 ? "not_found" : "bad_request", "Bad request", {
        detail: String(candidate.message ?? ""),
      });
  }
}

/** Turns anything thrown into a problem. Unknown errors become a bare 500 without internals. */
export function toProblem(error: unknown, instance?: string): Problem {
  const agoraError =
    (isAgoraError(error) ? error : fromHttpError(error)) ??
    new AgoraError("internal", "Internal server error", {
      detail: "An unexpected error occurred; it has been logged.",
    });
  const problem: Problem = {
    type: `${problemTypeBase}${agoraError.kind.replaceAll("_", "-")}`,
    title: agoraError.message,
    status: agoraError.status,
    code: agoraError.kind,
  };
  if (agoraError.detail !== undefined) problem.detail = agoraError.detail;
  if (instance !== undefined) problem.instance = instance;
  if (agoraError.issues.length > 0) problem.errors = agoraError.issues;
  return problem;
}

export function sendProblem(res: Response, problem: Problem): void {
  res.status(problem.status).type(problemContentType).send(JSON.stringify(problem));
}
