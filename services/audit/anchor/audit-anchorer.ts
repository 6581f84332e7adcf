import { AgoraError } from "../../errors/agora-error.ts";
import {
  type AuditAnchor,
  type AuditAnchorClient,
  asBytes32,
} from "../../settlement/chain/audit-anchor-client.ts";
import type { AuditLog } from "../audit-log.ts";
import { verifyAgainstAnchor } from "./anchored-log-verification.ts";

/** What one anchoring pass did. */
export type AnchorOutcome =
  | { kind: "anchored"; head: string; entryCount: number; transactionHash: string | null }
  | { kind: "unchanged"; anchor: AuditAnchor }
  | { kind: "empty" };

/** Options of `AuditAnchorer.start`. */
export interface PeriodicAnchoringOptions {
  /** Pause between passes, ms. */
  intervalMs: number;
  /** Told about a pass that failed; the next pass runs anyway. Default: ignore. */
  onError?: (error: unknown) => void;
  /** Told about each pass that anchored or found nothing new. */
  onOutcome?: (outcome: AnchorOutcome) => void;
}

/**
 * Anchors the audit log's head on chain. A pass anchors only a log that verifies, both on its own
 * and against the previous anchor: anchoring a tampered log would lend the tampering the chain's
 * authority. A head that is already anchored is not anchored again, so passes can run as often as
 * wanted, from a timer or a repeatable job, and a crashed pass is simply run again.
 */
export class AuditAnchorer {
  readonly #log: AuditLog;
  readonly #anchors: AuditAnchorClient;

  constructor(log: AuditLog, anchors: AuditAnchorClient) {
    this.#log = log;
    this.#anchors = anchors;
  }

  /**
   * One pass: verify, then anchor the current head unless it is the newest anchor already.
   *
   * @throws AgoraError `conflict` when the log fails verification or disagrees with the last anchor.
   */
  async anchorOnce(): Promise<AnchorOutcome> {
    const checked = await verifyAgainstAnchor(this.#log, this.#anchors);
    if (!checked.ok) {
      const reasons = [
        ...checked.log.problems.map((problem) => `seq ${problem.seq}: ${problem.problem}`),
        ...(checked.anchorProblem === null ? [] : [checked.anchorProblem]),
      ];
      throw new AgoraError("conflict", "Refusing to anchor an audit log that does not verify", {
        detail: reasons.join("; "),
      });
    }
    const { head, entries } = checked.log;
    if (head === null) return { kind: "empty" };
    if (checked.anchor !== null && checked.anchor.head === asBytes32(head)) {
      return { kind: "unchanged", anchor: checked.anchor };
    }
    const sent = await this.#anchors.anchor(head, entries);
    return {
      kind: "anchored",
      head: asBytes32(head),
      entryCount: entries,
      transactionHash: sent.kind === "mined" ? sent.receipt.hash : null,
    };
  }

  /**
   * Runs a pass now and then every `intervalMs` until `stop()`, which waits for a pass in flight.
   * Passes never overlap: the next is scheduled only when the previous has finished.
   */
  start(options: PeriodicAnchoringOptions): { stop(): Promise<void> } {
    let stopped = false;
    let timer: NodeJS.Timeout | undefined;
    let inFlight: Promise<void> = Promise.resolve();
    const pass = () => {
      inFlight = this.anchorOnce()
        .then((outcome) => options.onOutcome?.(outcome))
        .catch((error: unknown) => options.onError?.(error))
        .finally(() => {
          if (!stopped) timer = setTimeout(pass, options.intervalMs);
        });
    };
    pass();
    return {
      async stop() {
        stopped = true;
        clearTimeout(timer);
        await inFlight;
      },
    };
  }
}
