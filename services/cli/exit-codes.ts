/**
 * Exit codes of the `agora` command. Scripts branch on these, so they are part
 * of the CLI's contract: never renumber one, only add.
 */
export const ExitCode = {
  /** The command did what it was asked. `--help` and `--version` exit with this too. */
  ok: 0,
  /** The invocation was wrong: unknown command or option, bad value, missing or unreadable input file, no key. */
  usage: 1,
  /** The API answered with a problem (RFC 9457), or with something that is not the expected JSON. */
  problem: 2,
  /** The API could not be reached: connection refused, DNS failure, timeout. */
  unreachable: 3,
  /** An audit ran and found the task unfair (disputed), inconclusive, or the audit log tampered. */
  auditFailed: 4,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** A mistake in how the command was called; nothing was sent, or nothing useful could be. */
export class UsageError extends Error {
  readonly exitCode = ExitCode.usage;

  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** One field the API rejected, located by a JSON Pointer into what was sent. */
export interface ProblemFieldIssue {
  pointer: string;
  message: string;
}

/** The RFC 9457 fields the CLI shows; the API adds a stable `code` and field `errors`. */
export interface ProblemDetails {
  type?: string;
  title: string;
  status: number;
  detail?: string;
  code?: string;
  errors?: ProblemFieldIssue[];
}

/** The API refused a request; carries the problem it answered with. */
export class ProblemError extends Error {
  readonly exitCode: ExitCode = ExitCode.problem;
  readonly problem: ProblemDetails;

  constructor(problem: ProblemDetails) {
    super(problem.title);
    this.name = "ProblemError";
    this.problem = problem;
  }
}

/** An audit's own verdict: the checks ran, and the task or the log did not pass them. */
export class AuditFailedError extends ProblemError {
  override readonly exitCode: ExitCode = ExitCode.auditFailed;

  constructor(problem: ProblemDetails) {
    super(problem);
    this.name = "AuditFailedError";
  }
}

/** No HTTP answer at all: the API is down, the URL is wrong, or the network failed. */
export class UnreachableError extends Error {
  readonly exitCode = ExitCode.unreachable;
  readonly url: string;

  constructor(url: string, reason: string) {
    super(`cannot reach the Agora API at ${url}: ${reason}`);
    this.name = "UnreachableError";
    this.url = url;
  }
}

/**
 * A service a long-running command needs (database, Redis, chain) did not answer at start-up.
 * Same exit code as an unreachable API: the fix is on the network side, not in the invocation.
 */
export class ServiceUnreachableError extends Error {
  readonly exitCode = ExitCode.unreachable;

  constructor(message: string) {
    super(message);
    this.name = "ServiceUnreachableError";
  }
}
