import assert from "node:assert/strict";
import { connect } from "node:net";
import { describe, it } from "node:test";
import { startTestApi } from "../support/api-client.ts";

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
