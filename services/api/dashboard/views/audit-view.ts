import { AuditLog, type ChainVerification } from "../../../audit/audit-log.ts";
import { DashboardAuditRepository } from "../../../store/repositories/dashboard-audit-repository.ts";
import type { ApiDependencies } from "../../dependencies.ts";
import { latestAuditReports } from "./audit-reports.ts";

/**
 * Verifying walks the whole chain. The page is public, so one walk serves
 * every viewer for two seconds instead of one walk per page view; an edit
 * shows up at most that much later.
 */
const verificationTtlMs = 2_000;
const verifications = new WeakMap<
  ApiDependencies,
  { at: number; result: Promise<ChainVerification & { checkedAt: string }> }
>();

function verifyChain(deps: ApiDependencies) {
  const cached = verifications.get(deps);
  if (cached !== undefined && Date.now() - cached.at < verificationTtlMs) return cached.result;
  const result = new AuditLog(deps.database.db)
    .verify()
    .then((verification) => ({ ...verification, checkedAt: new Date().toISOString() }));
  const entry = { at: Date.now(), result };
  verifications.set(deps, entry);
  // A failed walk is not remembered: the next viewer tries again.
  result.catch(() => {
    if (verifications.get(deps) === entry) verifications.delete(deps);
  });
  return result;
}

/**
 * The audit page: whether the hash chain verifies, the latest entries (kind,
 * actor, task and hash, not payloads), and the auditors' latest reports.
 */
export async function auditView(deps: ApiDependencies) {
  const [verification, recent, reports] = await Promise.all([
    verifyChain(deps),
    new DashboardAuditRepository(deps.database.db).recent(),
    latestAuditReports(deps.config.AGORA_DATA_DIR),
  ]);
  return {
    verification: {
      ok: verification.ok,
      entries: verification.entries,
      head: verification.head,
      checkedAt: verification.checkedAt,
      problems: verification.problems.map((problem) => ({
        seq: problem.seq.toString(),
        problem: problem.problem,
        detail: problem.detail,
      })),
    },
    recent: recent.map((entry) => ({
      seq: entry.seq.toString(),
      kind: entry.kind,
      taskId: entry.taskId,
      actor: entry.actor,
      hash: entry.hash,
      occurredAt: entry.occurredAt.toISOString(),
    })),
    reports,
  };
}
