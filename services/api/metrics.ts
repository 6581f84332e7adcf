import type { NextFunction, Request, Response } from "express";
import { Counter, collectDefaultMetrics, Histogram, Registry } from "prom-client";

/** A registry per app instance, so tests can run several apps in one process. */
export interface HttpMetrics {
  registry: Registry;
  middleware(req: Request, res: Response, next: NextFunction): void;
}

export function createHttpMetrics(): HttpMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "agora_" });
  const duration = new Histogram({
    name: "agora_http_request_duration_seconds",
    help: "HTTP request latency by route template",
    labelNames: ["method", "route", "status"],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  const problems = new Counter({
    name: "agora_http_problems_total",
    help: "Problem responses by code",
    labelNames: ["code"],
    registers: [registry],
  });
  return {
    registry,
    middleware(req, res, next) {
      const stop = duration.startTimer();
      res.on("finish", () => {
        // The template, not the raw URL, keeps label cardinality bounded.
        const route = typeof res.locals.routePath === "string" ? res.locals.routePath : "unmatched";
        stop({ method: req.method, route, status: String(res.statusCode) });
        if (typeof res.locals.problemCode === "string")
          problems.inc({ code: res.locals.problemCode });
      });
      next();
    },
  };
}
