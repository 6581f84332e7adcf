import { createBullBoard } from "@bull-board/api";
import { BullMQAdapter } from "@bull-board/api/bullMQAdapter";
import { ExpressAdapter } from "@bull-board/express";
import { type Router as ExpressRouter, Router } from "express";
import { requireRole } from "./authenticate.ts";
import type { ApiDependencies } from "./dependencies.ts";

export const adminQueuesPath = "/admin/queues";

/**
 * Bull Board for operators only. Train queues come and go with holders, so the
 * board's queue list is refreshed from Redis whenever an operator opens it.
 */
export function createAdminQueuesRouter(deps: ApiDependencies): ExpressRouter {
  const serverAdapter = new ExpressAdapter();
  serverAdapter.setBasePath(adminQueuesPath);
  const board = createBullBoard({
    queues: [],
    serverAdapter,
    options: { uiConfig: { boardTitle: "Agora queues" } },
  });

  const router = Router();
  router.use(requireRole(deps, ["operator"]));
  router.use(async (_req, _res, next) => {
    try {
      const queues = await deps.queues.discover();
      board.replaceQueues(queues.map((queue) => new BullMQAdapter(queue)));
      next();
    } catch (error) {
      next(error);
    }
  });
  router.use(serverAdapter.getRouter());
  return router;
}
