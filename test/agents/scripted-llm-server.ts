import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A local OpenAI-compatible server: `POST /v1/chat/completions` answers with
 * the next scripted message content, in the real wire format, so the real
 * `openai` SDK is exercised. It records every request it received.
 */
export interface ScriptedLlmServer {
  baseURL: string;
  requests: { model: string; messages: { role: string; content: string }[] }[];
  script(...contents: string[]): void;
  close(): Promise<void>;
}

export async function startScriptedLlmServer(): Promise<ScriptedLlmServer> {
  const queue: string[] = [];
  const requests: ScriptedLlmServer["requests"] = [];
  const server: Server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => {
      body += chunk.toString();
    });
    req.on("end", () => {
      if (req.method !== "POST" || req.url !== "/v1/chat/completions") {
        res.writeHead(404, { "content-type": "application/json" });
        res.end(JSON.stringify({ error: { message: "not found" } }));
        return;
      }
      const request = JSON.parse(body) as ScriptedLlmServer["requests"][number];
      requests.push(request);
      const content = queue.shift() ?? "{}";
      res.writeHead(200, { "content-type": "application/json" });
      res.end(
        JSON.stringify({
          id: `chatcmpl-${requests.length}`,
          object: "chat.completion",
          created: Math.floor(Date.now() / 1000),
          model: request.model,
          choices: [{ index: 0, message: { role: "assistant", content }, finish_reason: "stop" }],
          usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
        }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    requests,
    script: (...contents) => queue.push(...contents),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
