import type { Redis } from "ioredis";
import type { AuditAnchorer } from "../services/audit/anchor/audit-anchorer.ts";
import { queueNames } from "./names.ts";
import { type ScheduledPasses, startScheduledPasses } from "./scheduled-passes.ts";

/** One scheduler for the whole deployment: every coordinator upserts the same one. */
const auditAnchorSchedulerId = "audit-anchor-every";

export interface AuditAnchoringOptions {
  /** A `producer` connection, for the queue and its scheduler. */
  producer: Redis;
  /** A `worker` connection (blocking commands). */
  worker: Redis;
  prefix: string;
  anchorer: AuditAnchorer;
  /** Pause between passes, ms (AGORA_AUDIT_ANCHOR_EVERY_S × 1,000). */
  everyMs: number;
}

export type AuditAnchoring = ScheduledPasses;

/**
 * Anchors the audit log's head on chain every `everyMs`, on the `audit-anchor`
 * queue. A head already anchored is left alone (`unchanged`), so duplicated
 * or overlapping passes, and several coordinators sharing the scheduler, send
 * at most one transaction per new head. A log that fails verification fails
 * the pass and is never anchored.
 */
export function startAuditAnchoring(options: AuditAnchoringOptions): Promise<AuditAnchoring> {
  return startScheduledPasses({
    queueName: queueNames.auditAnchor,
    schedulerId: auditAnchorSchedulerId,
    producer: options.producer,
    worker: options.worker,
    prefix: options.prefix,
    everyMs: options.everyMs,
    pass: () => options.anchorer.anchorOnce(),
  });
}
