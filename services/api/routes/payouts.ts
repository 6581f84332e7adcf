import { z } from "zod";
import { AgoraError } from "../../errors/agora-error.ts";
import { loadPayoutTree, type PayoutTreeDump } from "../../settlement/merkle/payout-tree.ts";
import { sandboxLabel } from "../../settlement/rails/payment-rail.ts";
import { PayoutTreesRepository } from "../../store/repositories/payout-trees-repository.ts";
import { SettlementRunsRepository } from "../../store/repositories/settlement-runs-repository.ts";
import { createRepositories } from "../../store/repositories.ts";
import { defineRoute } from "../route.ts";
import { taskIdParam } from "./market-views.ts";

const decimal = z.string().regex(/^\d+$/);
const hex32 = z.string().regex(/^0x[0-9a-f]{64}$/);

const payoutLineSchema = z.object({
  id: z.string(),
  holderId: z.string(),
  leafIndex: z.number(),
  rail: z.enum(["chain", "stripe", "sandbox"]),
  account: z.string(),
  base: decimal,
  bonus: decimal,
  amount: decimal,
  status: z.string(),
  externalRef: z.string().nullable(),
  standing: z.string().nullable(),
  contribution: z.number().nullable(),
  /** On sandbox lines only (a chain task's fiat holder may be paid on paper): not real money. */
  label: z.string().optional(),
});

const payoutTableSchema = z.object({
  taskId: z.string(),
  taskStatus: z.string(),
  rail: z.enum(["chain", "stripe", "sandbox"]),
  currency: z.string(),
  /** Present on the sandbox rail only: nothing here is real money. */
  label: z.string().optional(),
  settlement: z
    .object({
      step: z.string(),
      completedAt: z.string().nullable(),
      lastError: z.string().nullable(),
    })
    .nullable(),
  reportHash: z.string().nullable(),
  root: hex32.nullable(),
  /**
   * On a chain task with fiat-rail holders: the coordinator's leaf carrying their sum, which it
   * claims and pays out on each holder's rail.
   */
  offRamp: z.object({ leafIndex: z.number(), account: z.string(), amount: decimal }).nullable(),
  payouts: z.array(payoutLineSchema),
});

const payoutProofSchema = z.object({
  taskId: z.string(),
  holderId: z.string(),
  leaf: z.object({ index: decimal, account: z.string(), amount: decimal }),
  proof: z.array(hex32),
  root: hex32,
  escrow: z.string(),
  chainId: decimal,
  chainTaskId: decimal,
  status: z.string(),
});

interface ReportLine {
  holderId: string;
  standing: string;
  contribution: number;
}

/** Lines of the stored payout report, by holder (standing and contribution are not payout columns). */
function reportLinesOf(state: Record<string, unknown> | undefined): Map<string, ReportLine> {
  const report = state?.report as { lines?: ReportLine[] } | undefined;
  return new Map((report?.lines ?? []).map((line) => [line.holderId, line]));
}

/** The off-ramp leaf settlement committed, if any (see `chainLeavesOf`). */
function offRampOf(state: Record<string, unknown> | undefined) {
  const leaf = state?.offRamp as { index?: unknown; account?: unknown; amount?: unknown } | null;
  if (
    typeof leaf?.index !== "number" ||
    typeof leaf.account !== "string" ||
    typeof leaf.amount !== "string"
  ) {
    return null;
  }
  return { leafIndex: leaf.index, account: leaf.account, amount: leaf.amount };
}

export const payoutRoutes = [
  defineRoute({
    method: "get",
    path: "/tasks/:taskId/payouts",
    operationId: "taskPayouts",
    summary: "A task's payout table: amount, rail, standing and status per holder",
    tag: "settlement",
    roles: [],
    responses: { 200: { description: "The payout table", schema: payoutTableSchema } },
    handle: async ({ params, deps }) => {
      const db = deps.database.db;
      const repos = createRepositories(db);
      const task = await repos.tasks.get(taskIdParam(params));
      const [payouts, run, tree] = await Promise.all([
        repos.payouts.listForTask(task.id),
        new SettlementRunsRepository(db).find(task.id),
        new PayoutTreesRepository(db).find(task.id),
      ]);
      const lines = reportLinesOf(run?.state);
      const body: z.infer<typeof payoutTableSchema> = {
        taskId: task.id,
        taskStatus: task.status,
        rail: task.rail,
        currency: task.currency,
        ...(task.rail === "sandbox" && { label: sandboxLabel }),
        settlement: run
          ? {
              step: run.step,
              completedAt: run.completedAt?.toISOString() ?? null,
              lastError: run.lastError,
            }
          : null,
        reportHash: typeof run?.state.reportHash === "string" ? run.state.reportHash : null,
        root: tree?.root ?? null,
        offRamp: offRampOf(run?.state),
        payouts: payouts.map((payout) => ({
          id: payout.id,
          holderId: payout.holderId,
          leafIndex: payout.leafIndex,
          rail: payout.rail,
          account: payout.account,
          base: payout.base.toString(),
          bonus: payout.bonus.toString(),
          amount: payout.amount.toString(),
          status: payout.status,
          externalRef: payout.externalRef,
          standing: lines.get(payout.holderId)?.standing ?? null,
          contribution: lines.get(payout.holderId)?.contribution ?? null,
          ...(payout.rail === "sandbox" && { label: sandboxLabel }),
        })),
      };
      return { status: 200, body };
    },
  }),
  defineRoute({
    method: "get",
    path: "/tasks/:taskId/payouts/:holderId/proof",
    operationId: "payoutProof",
    summary:
      "What a holder needs to claim its chain payout: leaf, Merkle proof, root, escrow, chain",
    tag: "settlement",
    roles: [],
    responses: { 200: { description: "The claim", schema: payoutProofSchema } },
    handle: async ({ params, deps }) => {
      const db = deps.database.db;
      const taskId = taskIdParam(params);
      const holderId = params.holderId ?? "";
      const payout = (await createRepositories(db).payouts.listForTask(taskId)).find(
        (line) => line.holderId === holderId,
      );
      if (payout === undefined) {
        throw new AgoraError("not_found", "No payout for this holder", {
          detail: `Task ${taskId} has no payout line for holder ${holderId}.`,
        });
      }
      if (payout.rail !== "chain") {
        throw new AgoraError("conflict", "Payout is not claimed on chain", {
          detail: `Holder ${holderId} is paid on the ${payout.rail} rail; there is nothing to claim.`,
        });
      }
      if (payout.amount === 0n) {
        throw new AgoraError("conflict", "Nothing to claim", {
          detail: `The payout rule gives holder ${holderId} nothing for task ${taskId}.`,
        });
      }
      const stored = await new PayoutTreesRepository(db).find(taskId);
      if (stored === undefined) {
        throw new AgoraError("conflict", "Payouts not committed yet", {
          detail: `Task ${taskId} has no committed payout root yet; retry after settlement commits it.`,
        });
      }
      // Loading recomputes every hash, so a tampered row fails here instead of serving a bad proof.
      let tree: ReturnType<typeof loadPayoutTree>;
      try {
        tree = loadPayoutTree(stored.dump as unknown as PayoutTreeDump);
      } catch (cause) {
        throw new AgoraError("internal", "Stored payout tree is corrupt", {
          detail: taskId,
          cause,
        });
      }
      const leaf = tree.proofAt(payout.leafIndex);
      if (
        tree.root.toLowerCase() !== stored.root ||
        leaf.account.toLowerCase() !== payout.account.toLowerCase() ||
        leaf.amount !== payout.amount
      ) {
        throw new AgoraError("internal", "Stored payout tree does not match the payout table", {
          detail: `Task ${taskId}, leaf ${payout.leafIndex}.`,
        });
      }
      const body: z.infer<typeof payoutProofSchema> = {
        taskId,
        holderId,
        leaf: {
          index: leaf.index.toString(),
          account: leaf.account,
          amount: leaf.amount.toString(),
        },
        proof: leaf.proof,
        root: stored.root,
        escrow: stored.escrow,
        chainId: stored.chainId.toString(),
        chainTaskId: stored.chainTaskId.toString(),
        status: payout.status,
      };
      return { status: 200, body };
    },
  }),
];
