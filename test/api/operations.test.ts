import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { expectProblem, startTestApi, type TestApi } from "../support/api-client.ts";

describe("operations endpoints", () => {
  let api: TestApi;
  before(async () => {
    api = await startTestApi();
  });
  after(() => api.close());

  it("/healthz answers while the process lives", async () => {
    const response = await fetch(api.url("/healthz"));
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { status: "ok" });
  });

  it("/readyz checks the database and Redis", async () => {
    const response = await fetch(api.url("/readyz"));
    assert.equal(response.status, 200);
    const body = (await response.json()) as {
      status: string;
      checks: Record<string, { ok: boolean }>;
    };
    assert.equal(body.status, "ready");
    assert.equal(body.checks.database?.ok, true);
    assert.equal(body.checks.redis?.ok, true);
  });

  it("/metrics exposes Prometheus metrics including request latency by route", async () => {
    await fetch(api.url("/healthz"));
    await fetch(api.url("/auth/nonce"));
    const text = await (await fetch(api.url("/metrics"))).text();
    assert.match(
      text,
      /agora_http_request_duration_seconds_count\{method="GET",route="\/auth\/nonce",status="200"\} 1/,
    );
    assert.match(text, /agora_process_cpu_user_seconds_total/);
  });

  it("/openapi.json documents every route with its schemas and problem responses", async () => {
    const document = (await (await fetch(api.url("/openapi.json"))).json()) as {
      openapi: string;
      paths: Record<
        string,
        Record<
          string,
          { requestBody?: unknown; responses: Record<string, unknown>; security?: unknown }
        >
      >;
    };
    assert.equal(document.openapi, "3.1.0");
    for (const path of [
      "/healthz",
      "/readyz",
      "/auth/nonce",
      "/auth/login",
      "/auth/session",
      "/operator/queues",
    ]) {
      assert.ok(document.paths[path], `missing ${path}`);
    }
    const login = document.paths["/auth/login"]?.post;
    assert.ok(login?.requestBody);
    assert.ok(login?.responses["422"] && login.responses["413"] && login.responses["415"]);
    assert.ok(document.paths["/operator/queues"]?.get?.security);
  });

  it("sets security headers and a request id", async () => {
    const response = await fetch(api.url("/healthz"), { headers: { "x-request-id": "trace-123" } });
    assert.equal(response.headers.get("x-request-id"), "trace-123");
    assert.equal(response.headers.get("x-content-type-options"), "nosniff");
    assert.equal(response.headers.get("x-powered-by"), null);
  });
});

describe("readiness when Redis is down", () => {
  let api: TestApi;
  before(async () => {
    // Nothing listens on port 1: the API starts, but must report itself not ready.
    api = await startTestApi({ REDIS_URL: "redis://127.0.0.1:1" });
  });
  after(() => api.running.close());

  it("/readyz answers 503 problem+json naming Redis, /healthz stays 200", async () => {
    const problem = await expectProblem(await fetch(api.url("/readyz")), 503);
    assert.match(problem.detail ?? "", /redis/);
    assert.equal((await fetch(api.url("/healthz"))).status, 200);
  });
});
