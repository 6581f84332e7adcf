import type { Redis } from "ioredis";
import type { Kysely } from "kysely";
import { LateClaimsBooker } from "../services/settlement/pipeline/late-claims.ts";
import type { ChainSettlement } from "../services/settlement/pipeline/settlement-dependencies.ts";
import type { Database } from "../services/store/schema.ts";
import { queueNames } from "./names.ts";
import { type ScheduledPasses, startScheduledPasses } from "./scheduled-passes.ts";

/** One scheduler for the whole deployment: every coordinator upserts the same one. */
const lateClaimsSchedulerId = "late-claims-every";

export interface LateClaimsBookingOptions {
  producer: Redis;
  worker: Redis;
  prefix: string;
  db: Kysely<Database>;
  chain: ChainSettlement;
  /** Pause between passes, ms (AGORA_LATE_CLAIMS_EVERY_S × 1,000). */
  everyMs: number;
}

/** Books claims made after their task settled, every `everyMs`, on the `late-claims` queue. */
export function startLateClaimsBooking(
  options: LateClaimsBookingOptions,
): Promise<ScheduledPasses> {
  const booker = new LateClaimsBooker(options.db, options.chain);
  return startScheduledPasses({
    queueName: queueNames.lateClaims,
    schedulerId: lateClaimsSchedulerId,
    producer: options.producer,
    worker: options.worker,
    prefix: options.prefix,
    everyMs: options.everyMs,
    pass: () => booker.pass(),
  });
}
