import assert from "node:assert/strict";
import { rm } from "node:fs/promises";
import { connect } from "node:net";
import { describe, it } from "node:test";
import { startServer } from "../../services/api/server.ts";
import { AgoraApiClient } from "../../services/cli/api-client.ts";
import { UnreachableError } from "../../services/cli/exit-codes.ts";
import { startTestApi } from "../support/api-client.ts";
import { testConfig } from "../support/environment.ts";
import { freePort } from "../support/free-port.ts";

describe("start-up", () => {
  it("answers 503 with Retry-After while its dependencies are built, then serves", async () => {
    const port = await freePort();
    // PGlite on disk and its migrations take a second or more: the window to ask in.
    const config = testConfig({ PORT: String(port), AGORA_COORDINATOR: "off" });
    const starting = startServer(config, {});
    let started = false;
    void starting.then(() => {
      started = true;
    });
    const client = new AgoraApiClient({ baseUrl: `http://127.0.0.1:${port}` });
    let early: Response | undefined;
    let clientError: unknown;
    while (early === undefined && !started) {
      try {
        early = await fetch(`http://127.0.0.1:${port}/tasks`);
        clientError = await client.get("/tasks").catch((error: unknown) => error);
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 10)); // not bound yet
      }
    }
    const running = await starting;
    try {
      assert.ok(early, "the socket was bound before the app was ready");
      assert.equal(early.status, 503);
      assert.equal(early.headers.get("retry-after"), "1");
      assert.equal(early.headers.get("content-type"), "application/problem+json");
      const problem = (await early.json()) as { code: string; title: string };
      assert.deepEqual([problem.code, problem.title], ["unavailable", "Starting"]);
      assert.ok(
        clientError instanceof UnreachableError,
        "the CLI treats a starting API as one to retry",
      );
      const ready = await fetch(new URL("/healthz", running.url));
      assert.equal(ready.status, 200);
    } finally {
      await running.close();
      await rm(config.AGORA_DATA_DIR, { recursive: true, force: true });
    }
  });
});

describe("graceful shutdown", () => {
  it("finishes an in-flight request, refuses new connections, then closes", async () => {
    const api = await startTestApi();
    const { port } = api.running.url;

    // Start a request whose body has not fully arrived: it is in flight when shutdown begins.
    const socket = connect(Number(port), "127.0.0.1");
    await new Promise((resolve) => socket.once("connect", resolve));
    const body = JSON.stringify({ message: "", signature: "0x00" });
    socket.write(
      `POST /auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`,
    );
    socket.write(body.slice(0, 5));
    let reply = "";
    socket.on("data", (chunk) => {
      reply += chunk.toString();
    });

    let closed = false;
    const closing = api.close().then(() => {
      closed = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(closed, false, "shutdown must wait for the in-flight request");
    assert.equal(api.running.deps.state.shuttingDown, true);
    await assert.rejects(fetch(api.url("/healthz")), "new connections are refused while draining");

    socket.end(body.slice(5));
    await closing;
    assert.match(reply, /^HTTP\/1\.1 422/, "the in-flight request got its answer");
    assert.equal(api.running.server.listening, false);
  });
});
