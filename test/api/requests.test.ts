import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import fc from "fast-check";
import { expectProblem, postJson, startTestApi, type TestApi } from "../support/api-client.ts";

describe("request validation: every malformed request is a 4xx problem, never a 500", () => {
  let api: TestApi;
  before(async () => {
    api = await startTestApi({ AGORA_BODY_LIMIT: "4kb" });
  });
  after(() => api.close());

  const send = (body: string, contentType = "application/json") =>
    fetch(api.url("/auth/login"), {
      method: "POST",
      headers: { "content-type": contentType },
      body,
    });

  it("answers malformed JSON with 400", async () => {
    const problem = await expectProblem(await send('{"message": '), 400);
    assert.equal(problem.code, "bad_request");
  });

  it("answers an oversized body with 413", async () => {
    const problem = await expectProblem(
      await send(JSON.stringify({ message: "x".repeat(10_000), signature: "0x00" })),
      413,
    );
    assert.equal(problem.code, "payload_too_large");
  });

  it("answers a non-JSON body with 415", async () => {
    await expectProblem(await send("message=hi", "application/x-www-form-urlencoded"), 415);
    await expectProblem(await fetch(api.url("/auth/login"), { method: "POST" }), 415);
  });

  it("answers a schema violation with 422 and a JSON pointer per field", async () => {
    const problem = await expectProblem(
      await postJson(api, "/auth/login", { message: "", signature: "nothex" }),
      422,
    );
    const pointers = (problem.errors ?? []).map((issue) => issue.pointer).sort();
    assert.deepEqual(pointers, ["/message", "/signature"]);
  });

  it("answers a well-formed but invalid SIWE message with 422", async () => {
    const problem = await expectProblem(
      await postJson(api, "/auth/login", { message: "hello", signature: "0x1234" }),
      422,
    );
    assert.equal(problem.title, "Malformed sign-in message");
  });

  it("answers unknown routes with 404", async () => {
    await expectProblem(await fetch(api.url("/no/such/route")), 404);
  });

  it("survives arbitrary bodies and content types without a 500", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string(),
          fc.json(),
          fc.uint8Array({ maxLength: 512 }).map((bytes) => Buffer.from(bytes).toString("latin1")),
        ),
        fc.constantFrom(
          "application/json",
          "text/plain",
          "application/merge-patch+json",
          "application/json; charset=utf-7",
        ),
        async (body, contentType) => {
          const response = await send(body, contentType);
          await response.arrayBuffer();
          return response.status >= 400 && response.status < 500;
        },
      ),
      { numRuns: 60, seed: 20261123 },
    );
  });
});

describe("rate limiting", () => {
  let api: TestApi;
  before(async () => {
    api = await startTestApi({ AGORA_RATE_LIMIT_PER_MIN: "3" });
  });
  after(() => api.close());

  it("answers 429 problem+json past the limit, with rate-limit headers", async () => {
    for (let i = 0; i < 3; i++) assert.equal((await fetch(api.url("/auth/nonce"))).status, 200);
    const limited = await fetch(api.url("/auth/nonce"));
    assert.ok(limited.headers.get("ratelimit-policy"));
    assert.equal((await expectProblem(limited, 429)).code, "rate_limited");
    assert.equal((await fetch(api.url("/healthz"))).status, 200, "probes are never rate limited");
  });
});
