import { loadConfig } from "../config/config.ts";
import { startServer } from "./server.ts";

/** `./dev serve`: the API process. SIGTERM or SIGINT drains and exits 0. */
const config = loadConfig();
const running = await startServer(config);
running.deps.logger.info(
  {
    url: running.url.href,
    database: running.deps.database.kind,
    // The rails settle jobs pay out on, or `off` when another process coordinates.
    coordinator: running.deps.coordinator?.rails ?? "off",
  },
  `Agora API listening on ${running.url.href}`,
);

for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.once(signal, () => {
    running.deps.logger.info({ signal }, "shutting down");
    running.close().then(
      () => process.exit(0),
      (error: unknown) => {
        running.deps.logger.error({ err: error }, "unclean shutdown");
        process.exit(1);
      },
    );
  });
}
