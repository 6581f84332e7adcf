import { randomUUID } from "node:crypto";
import express, { type Express, type NextFunction, type Request, type Response } from "express";
import { rateLimit } from "express-rate-limit";
import helmet from "helmet";
import { pinoHttp } from "pino-http";
import { RedisStore } from "rate-limit-redis";
import { AgoraError } from "../errors/agora-error.ts";
import { adminQueuesPath, createAdminQueuesRouter } from "./admin-queues.ts";
import { createDashboardPages } from "./dashboard/dashboard-pages.ts";
import { dashboardRoutes } from "./dashboard/dashboard-routes.ts";
import type { ApiDependencies } from "./dependencies.ts";
import { createHttpMetrics } from "./metrics.ts";
import { buildOpenApiDocument } from "./openapi.ts";
import { sendProblem, toProblem } from "./problem.ts";
import { type AnyRoute, mountRoutes } from "./route.ts";
import { authRoutes } from "./routes/auth.ts";
import { bidRoutes } from "./routes/bids.ts";
import { chainSettlementRoutes } from "./routes/chain-settlement.ts";
import { decisionRoutes } from "./routes/decisions.ts";
import { healthRoutes } from "./routes/health.ts";
import { holderRoutes } from "./routes/holders.ts";
import { payoutRoutes } from "./routes/payouts.ts";
import { queueRoutes } from "./routes/queues.ts";
import { taskRoutes } from "./routes/tasks.ts";
import { trainingRoutes } from "./routes/training.ts";
import { createStripeWebhookRouter } from "./stripe-webhook-endpoint.ts";

export const apiVersion = "0.1.0";

/** Every JSON operation of the API; the OpenAPI document is generated from this list. */
export const routes: readonly AnyRoute[] = [
  ...healthRoutes,
  ...authRoutes,
  ...queueRoutes,
  ...taskRoutes,
  ...trainingRoutes,
  ...holderRoutes,
  ...bidRoutes,
  ...decisionRoutes,
  ...payoutRoutes,
  ...chainSettlementRoutes,
  ...dashboardRoutes,
];

const unmetered = new Set(["/healthz", "/readyz", "/metrics"]);

export function createApp(deps: ApiDependencies): Express {
  const app = express();
  app.disable("x-powered-by");
  const metrics = createHttpMetrics();

  app.use(
    pinoHttp({
      logger: deps.logger,
      genReqId: (req, res) => {
        const incoming = req.headers["x-request-id"];
        const id = typeof incoming === "string" && incoming.length <= 128 ? incoming : randomUUID();
        res.setHeader("x-request-id", id);
        return id;
      },
      redact: ["req.headers.authorization", "req.headers.cookie", 'res.headers["set-cookie"]'],
      autoLogging: { ignore: (req) => unmetered.has(req.url ?? "") },
    }),
  );
  app.use(metrics.middleware);
  app.use(helmet());
  app.use(
    rateLimit({
      windowMs: 60_000,
      limit: deps.config.AGORA_RATE_LIMIT_PER_MIN,
      standardHeaders: "draft-8",
      legacyHeaders: false,
      skip: (req) => unmetered.has(req.path),
      // Counting in Redis keeps the limit per client across all API processes.
      store: new RedisStore({
        prefix: `${deps.config.AGORA_QUEUE_PREFIX}:rate-limit:`,
        sendCommand: (command: string, ...args: string[]) =>
          deps.redis.call(command, ...args) as Promise<number>,
      }),
      // A Redis outage must not take the whole API down with it; /readyz reports it.
      passOnStoreError: true,
      handler: (_req, _res, next) =>
        next(
          new AgoraError("rate_limited", "Too many requests", {
            detail: "Slow down and retry later.",
          }),
        ),
    }),
  );
  // Before the JSON parser: webhook signatures cover the raw bytes.
  app.use(createStripeWebhookRouter(deps));
  app.use(
    express.json({
      limit: deps.config.AGORA_BODY_LIMIT,
      strict: true,
      type: ["application/json", "application/*+json"],
    }),
  );

  const api = express.Router();
  mountRoutes(api, routes, deps);
  app.use(api);

  const openApiDocument = buildOpenApiDocument(routes, { version: apiVersion });
  app.get("/openapi.json", (_req, res) => {
    res.locals.routePath = "/openapi.json";
    res.json(openApiDocument);
  });
  app.get("/metrics", async (_req, res, next) => {
    res.locals.routePath = "/metrics";
    try {
      res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
    } catch (error) {
      next(error);
    }
  });
  app.use(adminQueuesPath, createAdminQueuesRouter(deps));
  app.use(createDashboardPages());

  app.use((req: Request, _res: Response, next: NextFunction) => {
    next(
      new AgoraError("not_found", "Not found", {
        detail: `No route for ${req.method} ${req.path}.`,
      }),
    );
  });
  // Express recognises error handlers by their four parameters.
  app.use((error: unknown, req: Request, res: Response, _next: NextFunction) => {
    const problem = toProblem(error, req.originalUrl);
    res.locals.problemCode = problem.code;
    if (problem.code === "internal") req.log.error({ err: error }, "request failed");
    if (res.headersSent) {
      res.end();
      return;
    }
    sendProblem(res, problem);
  });
  return app;
}
