import { z } from "zod";
import { defineRoute } from "../route.ts";
import { looseObject, taskIdParam } from "./market-views.ts";

const decisionsQuery = z.object({
  taskId: z.string().min(1).max(200).optional(),
  agent: z.enum(["guardian", "orchestrator", "auditor"]).optional(),
  after: z
    .string()
    .regex(/^\d{1,19}$/, "a decision id")
    .optional(),
  limit: z.coerce.number().int().min(1).max(1_000).default(500),
});
type DecisionsQuery = z.infer<typeof decisionsQuery>;

export const decisionRoutes = [
  defineRoute<undefined, DecisionsQuery>({
    method: "get",
    path: "/decisions",
    operationId: "listDecisions",
    summary: "Every agent decision with its proposal, verdict, violations and rationale (auditor)",
    tag: "audit",
    roles: ["auditor"],
    query: decisionsQuery,
    responses: {
      200: {
        description: "Decisions, oldest first",
        schema: z.object({ decisions: z.array(looseObject) }),
      },
    },
    handle: async ({ query, deps }) => {
      const decisions = await deps.market.repos.agentDecisions.list({
        ...(query.taskId !== undefined && { taskId: query.taskId }),
        ...(query.agent !== undefined && { agent: query.agent }),
        ...(query.after !== undefined && { after: BigInt(query.after) }),
        limit: query.limit,
      });
      return {
        status: 200,
        body: {
          decisions: decisions.map((decision) => ({
            ...decision,
            id: decision.id.toString(),
            createdAt: decision.createdAt.toISOString(),
          })),
        },
      };
    },
  }),
  defineRoute({
    method: "get",
    path: "/tasks/:taskId/negotiation",
    operationId: "taskNegotiation",
    summary: "Every alternating-offer move on a task's bids (auditor)",
    tag: "audit",
    roles: ["auditor"],
    responses: { 200: { description: "Moves", schema: z.object({ moves: z.array(looseObject) }) } },
    handle: async ({ params, deps }) => {
      const moves = await deps.market.repos.negotiationOffers.listForTask(taskIdParam(params));
      return {
        status: 200,
        body: {
          moves: moves.map((move) => ({
            ...move,
            price: move.price?.toString() ?? null,
            createdAt: move.createdAt.toISOString(),
          })),
        },
      };
    },
  }),
];
