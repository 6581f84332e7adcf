import { z } from "zod";
import { AgoraError } from "../errors/agora-error.ts";

/**
 * Every setting Agora reads from the environment, with its default. The README's
 * configuration table mirrors this schema; keep the two in step.
 */
const addressList = z
  .string()
  .default("")
  .transform((raw) =>
    raw
      .split(",")
      .map((entry) => entry.trim().toLowerCase())
      .filter((entry) => entry.length > 0),
  )
  .pipe(
    z.array(z.string().regex(/^0x[0-9a-f]{40}$/, "expected a comma-separated list of addresses")),
  );

const envSchema = z.object({
  NODE_ENV: z.enum(["development", "test", "production"]).default("development"),
  /** Interface the API binds to. */
  HOST: z.string().default("127.0.0.1"),
  /** Port the API listens on; 0 picks a free one. */
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  /** Public origin of the API, used as the SIWE domain and in links. Defaults to http://HOST:PORT. */
  PUBLIC_URL: z.url().optional(),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  /** PostgreSQL server; unset means embedded PGlite under AGORA_DATA_DIR. */
  DATABASE_URL: z.string().optional(),
  /** Where embedded state (PGlite, blobs, the dev session secret) lives. */
  AGORA_DATA_DIR: z.string().default(".data"),
  REDIS_URL: z.string().default("redis://127.0.0.1:6379"),
  /** Prefix of every BullMQ key, so several deployments can share one Redis. */
  AGORA_QUEUE_PREFIX: z.string().min(1).default("agora"),
  /** HMAC key for session tokens (>= 32 bytes). Unset outside production: a random per-data-dir key. */
  AGORA_JWT_SECRET: z.string().min(32).optional(),
  /** Lifetime of a session token, in seconds. */
  AGORA_SESSION_TTL_S: z.coerce.number().int().positive().default(900),
  /** Chain id that SIWE messages and EIP-712 domains must name. */
  AGORA_CHAIN_ID: z.coerce.number().int().positive().default(31337),
  /** Addresses granted the operator role at sign-in. */
  AGORA_OPERATORS: addressList,
  /** Addresses granted the auditor role at sign-in. */
  AGORA_AUDITORS: addressList,
  /** Requests per client IP per minute before 429. */
  AGORA_RATE_LIMIT_PER_MIN: z.coerce.number().int().positive().default(600),
  /** Largest accepted JSON body. */
  AGORA_BODY_LIMIT: z.string().default("256kb"),
  /** Stripe secret key (`sk_…`). Unset: fiat tasks use the ledger-only sandbox rail. */
  STRIPE_SECRET_KEY: z.string().startsWith("sk_").optional(),
  /** Signing secret of the Stripe webhook endpoint (`whsec_…`); required with STRIPE_SECRET_KEY. */
  STRIPE_WEBHOOK_SECRET: z.string().startsWith("whsec_").optional(),
  /** Base URL of a Stripe-compatible API (a local mock); unset means Stripe itself. */
  STRIPE_API_BASE: z.url().optional(),
  /** Any EVM JSON-RPC endpoint the coordinator settles chain tasks through. */
  CHAIN_RPC_URL: z.url().optional(),
  /** The coordinator's settlement key on that chain, 0x followed by 64 hex digits. */
  CHAIN_PRIVATE_KEY: z
    .string()
    .regex(/^0x[0-9a-fA-F]{64}$/, "CHAIN_PRIVATE_KEY must be 0x followed by 64 hex digits")
    .optional(),
  /** The settlement escrow contract chain tasks are funded into and settled through. */
  AGORA_ESCROW_ADDRESS: z
    .string()
    .regex(
      /^0x[0-9a-fA-F]{40}$/,
      "AGORA_ESCROW_ADDRESS must be the escrow contract's address: 0x followed by 40 hex digits",
    )
    .optional(),
  /** First block to scan for escrow events (the escrow's deployment block). */
  AGORA_ESCROW_FROM_BLOCK: z.coerce.number().int().nonnegative().default(0),
  /** Blocks an escrow deposit must be buried under before its task opens bidding (1: mined). */
  AGORA_FUNDING_CONFIRMATIONS: z.coerce.number().int().positive().default(1),
  /**
   * The AgoraAuditAnchor contract the coordinator anchors the audit log's head
   * in. Anchoring runs only with the chain rail on (CHAIN_RPC_URL,
   * CHAIN_PRIVATE_KEY, AGORA_ESCROW_ADDRESS), from the same account.
   */
  AGORA_AUDIT_ANCHOR_ADDRESS: z
    .string()
    .regex(
      /^0x[0-9a-fA-F]{40}$/,
      "AGORA_AUDIT_ANCHOR_ADDRESS must be the AgoraAuditAnchor contract's address: 0x followed by 40 hex digits",
    )
    .optional(),
  /** Seconds between audit-log anchoring passes; a pass with nothing new sends nothing. */
  AGORA_AUDIT_ANCHOR_EVERY_S: z.coerce.number().positive().default(300),
  /**
   * Seconds between passes that book escrow claims made after their task
   * settled (chain rail only); a pass reads events only for tasks with a
   * payout still unclaimed.
   */
  AGORA_LATE_CLAIMS_EVERY_S: z.coerce.number().positive().default(60),
  /**
   * `off` keeps the API process from running the coordinator (the aggregate,
   * round-closed and settle workers), e.g. when another process runs it.
   */
  AGORA_COORDINATOR: z.enum(["on", "off"]).default("on"),
  /** Seed of the MNIST demo split; the coordinator scores on its validation set. */
  AGORA_FL_DEMO_SEED: z.string().min(1).default("agora-demo"),
  /** How long SIGTERM waits for in-flight requests and jobs before closing anyway, in ms. */
  AGORA_SHUTDOWN_GRACE_MS: z.coerce.number().int().positive().default(10_000),
});

export type Config = z.infer<typeof envSchema>;

/** Parses the environment; a bad value stops start-up with every problem listed. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => ({
      pointer: `/${issue.path.join("/")}`,
      message: issue.message,
    }));
    throw new AgoraError("invalid", "Invalid configuration", {
      detail: issues.map((issue) => `${issue.pointer.slice(1)}: ${issue.message}`).join("; "),
      issues,
    });
  }
  if (parsed.data.NODE_ENV === "production" && parsed.data.AGORA_JWT_SECRET === undefined) {
    throw new AgoraError("invalid", "Invalid configuration", {
      detail: "AGORA_JWT_SECRET is required in production",
    });
  }
  if (
    (parsed.data.STRIPE_SECRET_KEY === undefined) !==
    (parsed.data.STRIPE_WEBHOOK_SECRET === undefined)
  ) {
    throw new AgoraError("invalid", "Invalid configuration", {
      detail:
        "STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET go together: funding is confirmed only by verified webhooks",
    });
  }
  return parsed.data;
}
