import { z } from "zod";
import { defineRoute } from "../route.ts";

const queueSummary = z.object({
  name: z.string(),
  waiting: z.number().int(),
  active: z.number().int(),
  delayed: z.number().int(),
  completed: z.number().int(),
  failed: z.number().int(),
  paused: z.boolean(),
});

export const queueRoutes = [
  defineRoute({
    method: "get",
    path: "/operator/queues",
    operationId: "listQueues",
    summary: "Job counts of every queue (the dashboard is at /admin/queues)",
    tag: "operations",
    roles: ["operator"],
    responses: {
      200: { description: "Queues", schema: z.object({ queues: z.array(queueSummary) }) },
    },
    handle: async ({ deps }) => {
      const queues = await deps.queues.discover();
      const summaries = await Promise.all(
        queues.map(async (queue) => {
          const counts = await queue.getJobCounts(
            "waiting",
            "active",
            "delayed",
            "completed",
            "failed",
          );
          return {
            name: queue.name,
            waiting: counts.waiting ?? 0,
            active: counts.active ?? 0,
            delayed: counts.delayed ?? 0,
            completed: counts.completed ?? 0,
            failed: counts.failed ?? 0,
            paused: await queue.isPaused(),
          };
        }),
      );
      return { status: 200, body: { queues: summaries } };
    },
  }),
];
