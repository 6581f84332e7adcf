/**
 * The one error type of Agora. Every layer throws it (or a subclass); the API
 * maps it to an RFC 9457 problem+json response, the CLI to an exit code.
 *
 * `kind` decides the HTTP status, so domain code never thinks in status codes.
 */
export type ErrorKind =
  | "bad_request" // 400: the request could not be read (malformed JSON, bad query)
  | "unauthorized" // 401: no identity, or one we cannot verify
  | "forbidden" // 403: a verified identity without the required role
  | "not_found" // 404
  | "conflict" // 409: a state transition or uniqueness rule was violated
  | "payload_too_large" // 413
  | "unsupported_media_type" // 415
  | "invalid" // 422: well-formed but fails validation
  | "rate_limited" // 429
  | "unavailable" // 503: a dependency (database, Redis, chain) is down
  | "internal"; // 500: a bug

export const statusOfKind: Record<ErrorKind, number> = {
  bad_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  invalid: 422,
  rate_limited: 429,
  unavailable: 503,
  internal: 500,
};

/** One field-level complaint, as reported in a problem's `errors` member. */
export interface FieldIssue {
  /** JSON Pointer (RFC 6901) to the offending member, e.g. `/budget/amount`. */
  pointer: string;
  message: string;
}

export interface AgoraErrorOptions {
  /** Human-readable explanation specific to this occurrence. */
  detail?: string;
  /** Field-level issues, for `invalid` and `bad_request`. */
  issues?: FieldIssue[];
  cause?: unknown;
}

export class AgoraError extends Error {
  readonly kind: ErrorKind;
  readonly detail: string | undefined;
  readonly issues: FieldIssue[];

  constructor(kind: ErrorKind, title: string, options: AgoraErrorOptions = {}) {
    super(title, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "AgoraError";
    this.kind = kind;
    this.detail = options.detail;
    this.issues = options.issues ?? [];
  }

  get status(): number {
    return statusOfKind[this.kind];
  }
}

export const isAgoraError = (error: unknown): error is AgoraError => error instanceof AgoraError;
