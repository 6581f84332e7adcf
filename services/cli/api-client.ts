import type { BaseWallet } from "ethers";
import { SiweMessage } from "siwe";
import type { Role } from "../identity/roles.ts";
import { type ProblemDetails, ProblemError, UnreachableError } from "./exit-codes.ts";

/** How long one request may take before the API counts as unreachable. */
const defaultTimeoutMs = 30_000;

export interface ApiClientOptions {
  /** Base URL of the API, e.g. `http://127.0.0.1:8080`; a path prefix is kept. */
  baseUrl: string;
  /** Per-request timeout in ms. Default 30 000. */
  timeoutMs?: number;
}

type Query = Record<string, string | undefined>;

interface NonceResponse {
  nonce: string;
  domain: string;
  uri: string;
  chainId: number;
}

interface LoginResponse {
  token: string;
  address: string;
  roles: string[];
}

/**
 * A thin fetch wrapper for the Agora API: JSON in and out, a bearer token
 * once signed in, RFC 9457 problems turned into `ProblemError` and transport
 * failures into `UnreachableError`, so commands only handle the happy path.
 */
export class AgoraApiClient {
  readonly #baseUrl: string;
  readonly #timeoutMs: number;
  #token: string | undefined;

  constructor(options: ApiClientOptions) {
    this.#baseUrl = options.baseUrl.replace(/\/+$/, "");
    this.#timeoutMs = options.timeoutMs ?? defaultTimeoutMs;
  }

  /**
   * Signs in with Sign-In with Ethereum, asking for exactly `role`, and keeps
   * the session token in memory only: nothing is written to disk, so a
   * stolen laptop leaks no session.
   */
  async signIn(wallet: BaseWallet, role: Role): Promise<void> {
    const issued = await this.get<NonceResponse>("/auth/nonce");
    const now = Date.now();
    const message = new SiweMessage({
      domain: issued.domain,
      address: wallet.address,
      statement: "Sign in to Agora from the agora command line.",
      uri: issued.uri,
      version: "1",
      chainId: issued.chainId,
      nonce: issued.nonce,
      issuedAt: new Date(now).toISOString(),
      expirationTime: new Date(now + 5 * 60_000).toISOString(),
      resources: [`urn:agora:role:${role}`],
    }).prepareMessage();
    const signature = await wallet.signMessage(message);
    const session = await this.post<LoginResponse>("/auth/login", { message, signature });
    this.#token = session.token;
  }

  get<T>(path: string, query: Query = {}): Promise<T> {
    return this.#request<T>("GET", path, undefined, query);
  }

  post<T>(path: string, body?: unknown): Promise<T> {
    return this.#request<T>("POST", path, body);
  }

  put<T>(path: string, body: unknown): Promise<T> {
    return this.#request<T>("PUT", path, body);
  }

  async #request<T>(method: string, path: string, body?: unknown, query: Query = {}): Promise<T> {
    const url = new URL(`${this.#baseUrl}${path}`);
    for (const [name, value] of Object.entries(query))
      if (value !== undefined) url.searchParams.set(name, value);
    const headers: Record<string, string> = { accept: "application/json" };
    if (this.#token !== undefined) headers.authorization = `Bearer ${this.#token}`;
    if (body !== undefined) headers["content-type"] = "application/json";

    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers,
        ...(body !== undefined && { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
    } catch (error) {
      throw new UnreachableError(this.#baseUrl, transportReason(error, this.#timeoutMs));
    }
    const text = await response.text();
    // A 503 that names a retry time is a server on its way up (or a proxy
    // saying the same): as transient as a refused connection, so callers that
    // ride out restarts treat it alike.
    if (response.status === 503 && response.headers.has("retry-after")) {
      const problem = problemFrom(response, text);
      throw new UnreachableError(this.#baseUrl, `503 ${problem.title}`);
    }
    if (!response.ok) throw new ProblemError(problemFrom(response, text));
    if (text === "") return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new ProblemError({
        title: "Unexpected response",
        status: response.status,
        detail: `${method} ${path} answered with something that is not JSON.`,
      });
    }
  }
}

/** The most useful words about why fetch failed: undici hides the socket error in `cause`. */
function transportReason(error: unknown, timeoutMs: number): string {
  if (error instanceof Error && error.name === "TimeoutError")
    return `no answer within ${timeoutMs / 1000} s`;
  const cause = (error as { cause?: { code?: unknown; message?: unknown } })?.cause;
  if (typeof cause?.code === "string") return cause.code;
  if (typeof cause?.message === "string") return cause.message;
  return error instanceof Error ? error.message : String(error);
}

/** The problem the API sent, or one made up from the status when a proxy answered instead. */
function problemFrom(response: Response, text: string): ProblemDetails {
  try {
    const parsed = JSON.parse(text) as Partial<ProblemDetails>;
    if (typeof parsed.title === "string") {
      return { ...parsed, title: parsed.title, status: parsed.status ?? response.status };
    }
  } catch {
    // Not JSON: fall through to a problem built from the status line.
  }
  return {
    title: `HTTP ${response.status} ${response.statusText}`.trim(),
    status: response.status,
    ...(text.trim() !== "" && { detail: text.trim().slice(0, 300) }),
  };
}
