import { z } from "zod";
import { AgoraError } from "../../errors/agora-error.ts";
import { defineRoute } from "../route.ts";
import { looseObject } from "../routes/market-views.ts";
import { auditView } from "./views/audit-view.ts";
import { holderDetailView } from "./views/holder-detail-view.ts";
import { taskDetailView } from "./views/task-detail-view.ts";
import { taskListView } from "./views/task-list-view.ts";

/** Ids are database keys; anything longer than this is no id of ours. */
const maxIdLength = 200;

function idParam(params: Record<string, string>, name: string, what: string): string {
  const id = params[name] ?? "";
  if (id.length === 0 || id.length > maxIdLength) {
    throw new AgoraError("not_found", `${what} not found`, {
      detail: `No ${what.toLowerCase()} "${id.slice(0, 40)}".`,
    });
  }
  return id;
}

const money = z.object({
  minor: z.string().describe("exact amount in minor units"),
  currency: z.string(),
  decimals: z.int().describe("decimals of the currency's minor unit"),
});

/**
 * The dashboard's read-only JSON, public like the pages that use it: no
 * session needed, nothing written. What it leaves out on purpose: payout
 * accounts, payout references, price floors, data summaries, hardware,
 * signatures, losing bids, audit payloads, and draft tasks.
 */
export const dashboardRoutes = [
  defineRoute({
    method: "get",
    path: "/dashboard/api/tasks",
    operationId: "dashboardTasks",
    summary: "Public task list with progress (dashboard)",
    tag: "dashboard",
    responses: {
      200: {
        description: "Tasks, newest first, drafts excluded",
        schema: z.object({
          tasks: z.array(
            z.object({
              id: z.string(),
              name: z.string().nullable(),
              status: z.string(),
              budget: money,
              latestAccuracy: z.number().nullable(),
            }),
          ),
        }),
      },
    },
    handle: async ({ deps }) => ({ status: 200, body: await taskListView(deps) }),
  }),
  defineRoute({
    method: "get",
    path: "/dashboard/api/tasks/:taskId",
    operationId: "dashboardTask",
    summary:
      "One task: rounds, participants and tiers, contributions, payouts, ε, settlement (dashboard)",
    tag: "dashboard",
    responses: {
      200: {
        description: "The task page's data",
        schema: z.object({
          task: looseObject,
          rounds: z.array(looseObject),
          participants: z.array(looseObject),
          settlement: looseObject,
        }),
      },
      404: { description: "No such task, or a draft" },
    },
    handle: async ({ params, deps }) => ({
      status: 200,
      body: await taskDetailView(deps, idParam(params, "taskId", "Task")),
    }),
  }),
  defineRoute({
    method: "get",
    path: "/dashboard/api/holders/:holderId",
    operationId: "dashboardHolder",
    summary: "One holder: earnings per currency and rail, privacy budget left (dashboard)",
    tag: "dashboard",
    responses: {
      200: {
        description: "The holder page's data",
        schema: z.object({
          holder: looseObject,
          earnings: z.array(looseObject),
          payouts: z.array(looseObject),
          privacy: looseObject,
        }),
      },
      404: { description: "No such holder" },
    },
    handle: async ({ params, deps }) => ({
      status: 200,
      body: await holderDetailView(deps, idParam(params, "holderId", "Holder")),
    }),
  }),
  defineRoute({
    method: "get",
    path: "/dashboard/api/audit",
    operationId: "dashboardAudit",
    summary: "Audit log verification, latest entries and latest audit reports (dashboard)",
    tag: "dashboard",
    responses: {
      200: {
        description: "The audit page's data",
        schema: z.object({
          verification: looseObject,
          recent: z.array(looseObject),
          reports: looseObject,
        }),
      },
    },
    handle: async ({ deps }) => ({ status: 200, body: await auditView(deps) }),
  }),
];
