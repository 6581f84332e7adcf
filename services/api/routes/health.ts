import { z } from "zod";
import { AgoraError } from "../../errors/agora-error.ts";
import type { ApiDependencies } from "../dependencies.ts";
import { defineRoute } from "../route.ts";

const checkSchema = z.object({
  ok: z.boolean(),
  latencyMs: z.number(),
  error: z.string().optional(),
});
type Check = z.infer<typeof checkSchema>;

const readinessSchema = z.object({
  status: z.enum(["ready", "not_ready"]),
  checks: z.object({ database: checkSchema, redis: checkSchema }),
});

const probeTimeoutMs = 1_500;

/** Runs one dependency probe with a deadline, so a hung dependency reads as down, not as a hung probe. */
async function probe(run: () => Promise<unknown>): Promise<Check> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      run(),
      new Promise((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`no answer in ${probeTimeoutMs} ms`)),
          probeTimeoutMs,
        );
      }),
    ]);
    return { ok: true, latencyMs: Math.round(performance.now() - started) };
  } catch (error) {
    return {
      ok: false,
      latencyMs: Math.round(performance.now() - started),
      error: error instanceof Error ? error.message : String(error),
    };
  } finally {
    clearTimeout(timer);
  }
}

export async function readiness(deps: ApiDependencies) {
  const [database, redis] = await Promise.all([
    probe(() => deps.database.ping()),
    probe(() => deps.redis.ping()),
  ]);
  const ready = database.ok && redis.ok && !deps.state.shuttingDown;
  return {
    status: ready ? ("ready" as const) : ("not_ready" as const),
    checks: { database, redis },
  };
}

export const healthRoutes = [
  defineRoute({
    method: "get",
    path: "/healthz",
    operationId: "health",
    summary: "Liveness: the process is up and serving HTTP",
    tag: "operations",
    responses: { 200: { description: "Alive", schema: z.object({ status: z.literal("ok") }) } },
    handle: async () => ({ status: 200, body: { status: "ok" } }),
  }),
  defineRoute({
    method: "get",
    path: "/readyz",
    operationId: "readiness",
    summary: "Readiness: the database and Redis answer and the server is not draining",
    tag: "operations",
    responses: {
      200: { description: "Ready", schema: readinessSchema },
      503: { description: "Not ready (problem+json with the same checks)" },
    },
    handle: async ({ deps }) => {
      const report = await readiness(deps);
      if (report.status === "ready") return { status: 200, body: report };
      const failing = Object.entries(report.checks)
        .filter(([, check]) => !check.ok)
        .map(([name, check]) => `${name}: ${check.error}`);
      throw new AgoraError("unavailable", "Not ready", {
        detail: deps.state.shuttingDown ? "Shutting down." : failing.join("; "),
      });
    },
  }),
];
