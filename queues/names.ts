import { AgoraError } from "../services/errors/agora-error.ts";

/**
 * Every queue Agora uses. BullMQ forbids `:` in queue names (it is the key
 * separator), so per-holder queues are `train.<holderId>`.
 */
export const queueNames = {
  /** Parent jobs of round flows: combine updates, evaluate, score, start the next round. */
  aggregate: "aggregate",
  /** One job per closed round: archive it in the database, score contributions, settle after the last. */
  roundClosed: "round-closed",
  /** Settlement pipeline after the last round. */
  settle: "settle",
  /** Inbound payment-rail events (Stripe webhooks, chain logs) processed off the request path. */
  railEvents: "rail-events",
  /** Scheduled passes that anchor the audit log's head on chain (AgoraAuditAnchor). */
  auditAnchor: "audit-anchor",
  /** Scheduled passes that book escrow claims made after their task settled. */
  lateClaims: "late-claims",
} as const;

/**
 * How often every Agora worker looks for stalled jobs. A job whose worker died (a
 * killed process, a crashed holder machine) is redone only after its lock expires
 * (30 s) and two stalled checks have seen it; checking every 5 s instead of
 * BullMQ's 30 s lets a restarted worker pick it up about 40 s sooner, well within
 * a round's deadline. The check is one small Lua call, so the cost is negligible.
 */
export const stalledCheckIntervalMs = 5_000;

export type FixedQueueName = (typeof queueNames)[keyof typeof queueNames];

const holderIdPattern = /^[A-Za-z0-9_-]{1,64}$/;

/** The queue that only this holder's worker consumes, so only it touches the holder's data. */
export function trainQueueName(holderId: string): string {
  if (!holderIdPattern.test(holderId)) {
    throw new AgoraError("invalid", "Invalid holder id for a queue name", {
      detail: `"${holderId}" must match ${holderIdPattern}.`,
    });
  }
  return `train.${holderId}`;
}

export const isTrainQueue = (name: string): boolean => name.startsWith("train.");

export const fixedQueueNames: readonly FixedQueueName[] = Object.values(queueNames);
