import {
  type AuditAnchor,
  type AuditAnchorClient,
  asBytes32,
} from "../../settlement/chain/audit-anchor-client.ts";
import type { AuditLog, ChainVerification } from "../audit-log.ts";

/** The local log checked on its own and against the newest anchor on chain. */
export interface AnchoredVerification {
  /** True when the log verifies and agrees with the newest anchor (or nothing is anchored yet). */
  ok: boolean;
  /** The walk of the hash chain itself: edited entries and broken links. */
  log: ChainVerification;
  /** The newest anchor, or null when nothing was anchored yet. */
  anchor: AuditAnchor | null;
  /** Why the log disagrees with the anchor, or null when it agrees. */
  anchorProblem: string | null;
}

/**
 * Checks the local log against the newest on-chain anchor. The hash chain alone catches an edit
 * that leaves the later hashes stale; it cannot catch a history rewritten from some entry on with
 * every later hash recomputed. The anchor can: the entry at the anchored position must still hash
 * to the anchored head, and since each hash commits to everything before it, that one comparison
 * covers the whole history up to the anchor.
 */
export async function verifyAgainstAnchor(
  log: AuditLog,
  anchors: AuditAnchorClient,
): Promise<AnchoredVerification> {
  const [verification, anchor] = await Promise.all([log.verify(), anchors.latest()]);
  if (anchor === undefined) {
    return { ok: verification.ok, log: verification, anchor: null, anchorProblem: null };
  }
  const entries = await log.entries();
  const anchored = entries[anchor.entryCount - 1];
  let anchorProblem: string | null = null;
  if (anchored === undefined) {
    anchorProblem = `anchor #${anchor.index} covers ${anchor.entryCount} entries but the log holds only ${entries.length}: entries were removed`;
  } else if (asBytes32(anchored.hash) !== anchor.head) {
    anchorProblem =
      `entry ${anchor.entryCount} (seq ${anchored.seq}) hashes to ${asBytes32(anchored.hash)}, ` +
      `but anchor #${anchor.index} recorded ${anchor.head}: history before the anchor was rewritten`;
  }
  return {
    ok: verification.ok && anchorProblem === null,
    log: verification,
    anchor,
    anchorProblem,
  };
}
