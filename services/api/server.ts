import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Config } from "../config/config.ts";
import { AgoraError } from "../errors/agora-error.ts";
import { createApp } from "./app.ts";
import {
  type ApiDependencies,
  createDependencies,
  type DependencyOverrides,
} from "./dependencies.ts";
import { problemContentType, toProblem } from "./problem.ts";

export interface RunningServer {
  url: URL;
  server: Server;
  deps: ApiDependencies;
  /** Graceful stop: refuse new work, drain in-flight requests, close dependencies. Idempotent. */
  close(): Promise<void>;
}

const listen = (server: Server, port: number, host: string) =>
  new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });

/** Seconds a client should wait before asking a server that is still starting. */
const startingRetryAfterS = 1;

/**
 * The answer while dependencies are still being built (migrations, rails, the
 * coordinator's workers: seconds). Without a handler Node would accept the
 * request and never answer it, and a client restarting with the server would
 * hang until its own timeout. The connection is closed so the retry opens a
 * fresh one to the finished app.
 */
function answerStarting(req: IncomingMessage, res: ServerResponse): void {
  const problem = toProblem(
    new AgoraError("unavailable", "Starting", {
      detail: "The API is starting; retry in a moment.",
    }),
    req.url,
  );
  res.writeHead(problem.status, {
    "content-type": problemContentType,
    "retry-after": String(startingRetryAfterS),
    connection: "close",
  });
  res.end(JSON.stringify(problem));
}

const urlHost = (host: string) =>
  host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host.includes(":") ? `[${host}]` : host;

/**
 * Binds first, then builds the app: with PORT=0 the port, and so the origin
 * that SIWE messages must name, is only known once the socket is bound.
 */
export async function startServer(
  config: Config,
  overrides: DependencyOverrides = {},
): Promise<RunningServer> {
  const server = createServer(answerStarting);
  // Slow clients must not pin sockets forever; keep-alive stays above common proxy idle timeouts.
  server.requestTimeout = 30_000;
  server.headersTimeout = 15_000;
  server.keepAliveTimeout = 65_000;
  await listen(server, config.PORT, config.HOST);
  const { port } = server.address() as AddressInfo;
  const url = new URL(config.PUBLIC_URL ?? `http://${urlHost(config.HOST)}:${port}`);

  let deps: ApiDependencies;
  try {
    deps = await createDependencies(config, url, overrides);
  } catch (error) {
    server.close();
    throw error;
  }
  server.off("request", answerStarting);
  server.on("request", createApp(deps));

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      deps.state.shuttingDown = true;
      const drained = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const force = setTimeout(() => server.closeAllConnections(), config.AGORA_SHUTDOWN_GRACE_MS);
      await drained;
      clearTimeout(force);
      await deps.close();
    })();
    return closing;
  };
  return { url, server, deps, close };
}
