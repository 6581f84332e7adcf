import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { EmbeddedChain } from "../../services/settlement/chain/embedded-chain.ts";

interface RpcRequest {
  id: unknown;
  method: string;
  params?: unknown[];
}

/**
 * Serves an in-process embedded chain over HTTP JSON-RPC (single and batched requests), so a CLI
 * child process can reach the chain the test seeded, as it would reach `CHAIN_RPC_URL`.
 */
export async function serveChainOverHttp(
  chain: EmbeddedChain,
): Promise<{ url: string; close(): Promise<void> }> {
  const provider = chain.provider as unknown as {
    send(method: string, params: unknown[]): Promise<unknown>;
  };
  const answer = async (request: RpcRequest) => {
    try {
      return {
        jsonrpc: "2.0",
        id: request.id,
        result: await provider.send(request.method, request.params ?? []),
      };
    } catch (error) {
      const { code, message, data } = error as { code?: unknown; message?: string; data?: unknown };
      return {
        jsonrpc: "2.0",
        id: request.id,
        error: {
          code: typeof code === "number" ? code : -32603,
          message: message ?? "error",
          data,
        },
      };
    }
  };
  const server: Server = createServer((req, res) => {
    let body = "";
    req.setEncoding("utf8").on("data", (chunk: string) => {
      body += chunk;
    });
    req.on("end", async () => {
      const parsed = JSON.parse(body) as RpcRequest | RpcRequest[];
      const reply = Array.isArray(parsed)
        ? await Promise.all(parsed.map(answer))
        : await answer(parsed);
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify(reply));
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
