import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { EmbeddedChain } from "./embedded-chain.ts";

interface RpcRequest {
  jsonrpc?: string;
  id?: unknown;
  method?: unknown;
  params?: unknown;
}

export interface ChainRpcServer {
  /** `http://127.0.0.1:<port>`: what CHAIN_RPC_URL names. */
  url: string;
  close(): Promise<void>;
}

/**
 * Serves the in-process chain over HTTP JSON-RPC on 127.0.0.1, single and
 * batched requests, so the API's coordinator and every party's wallet reach
 * it exactly as they would reach a real node at CHAIN_RPC_URL.
 */
export async function serveChain(chain: EmbeddedChain): Promise<ChainRpcServer> {
  const provider = chain.provider as unknown as {
    send(method: string, params: unknown[]): Promise<unknown>;
  };
  const answer = async (request: RpcRequest) => {
    const id = request.id ?? null;
    if (typeof request.method !== "string") {
      return { jsonrpc: "2.0", id, error: { code: -32600, message: "method must be a string" } };
    }
    try {
      const params = Array.isArray(request.params) ? request.params : [];
      return { jsonrpc: "2.0", id, result: await provider.send(request.method, params) };
    } catch (error) {
      const { code, message, data } = error as { code?: unknown; message?: string; data?: unknown };
      return {
        jsonrpc: "2.0",
        id,
        error: {
          code: typeof code === "number" ? code : -32603,
          message: message ?? "error",
          data,
        },
      };
    }
  };
  const reply = (res: ServerResponse, body: unknown) => {
    res.setHeader("content-type", "application/json");
    res.end(JSON.stringify(body));
  };
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    let text = "";
    for await (const chunk of req.setEncoding("utf8")) text += chunk;
    let parsed: RpcRequest | RpcRequest[];
    try {
      parsed = JSON.parse(text) as RpcRequest | RpcRequest[];
    } catch {
      reply(res, { jsonrpc: "2.0", id: null, error: { code: -32700, message: "parse error" } });
      return;
    }
    reply(
      res,
      Array.isArray(parsed) ? await Promise.all(parsed.map(answer)) : await answer(parsed),
    );
  };
  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      res.statusCode = 500;
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
