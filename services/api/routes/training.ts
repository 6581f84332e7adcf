import { z } from "zod";
import { AgoraError } from "../../errors/agora-error.ts";
import { ownedTask } from "../../market/tasks/post-task.ts";
import { defineRoute } from "../route.ts";
import { taskIdParam } from "./market-views.ts";

const trainingStartSchema = z.object({
  taskId: z.string(),
  status: z.string(),
  started: z.boolean(),
  rounds: z.number().int().optional(),
  holders: z.array(z.string()).optional(),
  initialModelHash: z.string().optional(),
});

/**
 * Training starts when the owner says so, not the moment the last signature
 * lands: the owner knows when the holders' workers are up, a failed start
 * (Redis down) is an answer the owner can retry instead of an error hidden
 * in some holder's signing request, and the market flow stays free of queues.
 */
export const trainingRoutes = [
  defineRoute({
    method: "post",
    path: "/tasks/:taskId/start",
    operationId: "startTraining",
    summary:
      "Start an agreed task's training: agreed → training, round 0 queued (owner; idempotent)",
    tag: "training",
    roles: ["owner"],
    responses: {
      202: { description: "Round 0 is queued (or was already)", schema: trainingStartSchema },
    },
    handle: async ({ params, session, deps }) => {
      const task = await ownedTask(
        deps.market.repos.tasks,
        taskIdParam(params),
        session?.address ?? "",
      );
      if (deps.coordinator === undefined) {
        throw new AgoraError("unavailable", "No coordinator in this process", {
          detail:
            "This API runs with AGORA_COORDINATOR=off; start training where the coordinator runs.",
        });
      }
      return { status: 202, body: await deps.coordinator.startTraining(task.id) };
    },
  }),
];
