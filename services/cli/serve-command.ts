import { Command } from "commander";
import type { Config } from "../config/config.ts";
import { isAgoraError } from "../errors/agora-error.ts";
import { printerOf } from "./context.ts";
import { ServiceUnreachableError, UsageError } from "./exit-codes.ts";
import { integerArg } from "./input.ts";
import { formatFields } from "./output.ts";
import { exitSoon, untilStopSignal } from "./until-signal.ts";

const serveHelp = `
Configuration comes from the environment, as for \`./dev serve\`: DATABASE_URL
(unset: PGlite in AGORA_DATA_DIR), REDIS_URL, AGORA_QUEUE_PREFIX, AGORA_DATA_DIR,
the rails (STRIPE_*, CHAIN_RPC_URL, CHAIN_PRIVATE_KEY, AGORA_ESCROW_ADDRESS) and
AGORA_COORDINATOR=off to serve without the coordinator. A PostgreSQL schema
other than the default can be chosen in the URL: ?options=-c%20search_path%3Dname.

Once listening it prints one line (with --json, one JSON object) naming the URL.
SIGINT or SIGTERM drains in-flight requests and jobs and exits 0; a second
signal exits 1 at once. Exit 1 for a bad configuration or a port in use,
3 when the database does not answer.`;

interface ServeOptions {
  port?: number;
  host?: string;
}

/** `agora serve`: the API process with its coordinator, as `services/api/main.ts` runs it. */
export function serveCommand(): Command {
  return new Command("serve")
    .description(
      "run the Agora API and its coordinator (aggregate, round-closed and settle workers) until SIGINT or SIGTERM",
    )
    .option(
      "--port <n>",
      "port to listen on (default: PORT, else 8080; 0 picks a free one)",
      integerArg(0, 65535),
    )
    .option("--host <address>", "interface to bind (default: HOST, else 127.0.0.1)")
    .addHelpText("after", serveHelp)
    .action(async (options: ServeOptions, command: Command) => {
      const config = await configFrom({
        ...process.env,
        ...(options.port !== undefined && { PORT: String(options.port) }),
        ...(options.host !== undefined && { HOST: options.host }),
      });
      // Loaded here, not at the top: the server pulls in tfjs and the store, which no client command needs.
      const { startServer } = await import("../api/server.ts");
      const running = await startServer(config).catch((error: unknown) => {
        // Reconnect attempts would keep the process alive after the error is reported.
        exitSoon(1_000);
        throw startupFailure(error, config);
      });
      const { logger } = running.deps;
      // Listen before saying ready: a signal sent the moment the line appears must not find
      // Node's default action (exit at once, no draining) still in place.
      const stopRequested = untilStopSignal((forced) =>
        logger.warn({ signal: forced }, "second signal: exiting without draining"),
      );
      const ready = {
        url: running.url.href,
        database: running.deps.database.kind,
        coordinator: running.deps.coordinator?.rails ?? "off",
      };
      printerOf(command).result(ready, (view) =>
        [
          `Agora API listening on ${view.url}`,
          formatFields({
            database: view.database,
            coordinator: Array.isArray(view.coordinator)
              ? `on (rails: ${view.coordinator.join(", ")})`
              : "off",
          }),
        ].join("\n"),
      );
      const signal = await stopRequested;
      logger.info({ signal }, "shutting down");
      await running.close();
      exitSoon();
    });
}

async function configFrom(env: NodeJS.ProcessEnv): Promise<Config> {
  const { loadConfig } = await import("../config/config.ts");
  try {
    return loadConfig(env);
  } catch (error) {
    if (isAgoraError(error))
      throw new UsageError(`${error.message}: ${error.detail ?? "see the README's configuration"}`);
    throw error;
  }
}

/** Maps why the server did not start to the CLI's exit codes. */
function startupFailure(error: unknown, config: Config): Error {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === "EADDRINUSE")
    return new UsageError(
      `port ${config.PORT} on ${config.HOST} is in use; pick another with --port`,
    );
  if (code === "EADDRNOTAVAIL")
    return new UsageError(`cannot bind ${config.HOST}: no such interface on this machine`);
  if (isAgoraError(error) && error.kind === "invalid")
    return new UsageError(`${error.message}${error.detail ? `: ${error.detail}` : ""}`);
  const unreachable =
    (isAgoraError(error) && error.kind === "unavailable") ||
    ["ECONNREFUSED", "ENOTFOUND", "ETIMEDOUT", "EHOSTUNREACH"].includes(code ?? "") ||
    (error instanceof AggregateError &&
      error.errors.some((inner) => (inner as NodeJS.ErrnoException).code === "ECONNREFUSED"));
  if (unreachable) {
    const what = config.DATABASE_URL ? "the database at DATABASE_URL" : "a service it needs";
    return new ServiceUnreachableError(
      `the API could not start: ${what} did not answer (${error instanceof Error ? error.message || code : String(error)})`,
    );
  }
  return error instanceof Error ? error : new Error(String(error));
}
