/** The signals that ask a long-running command (`serve`, `worker`) to stop. */
const stopSignals = ["SIGINT", "SIGTERM"] as const;
export type StopSignal = (typeof stopSignals)[number];

/**
 * Resolves with the first SIGINT or SIGTERM. The caller then stops its work
 * gracefully; a second signal while it does means the operator has run out
 * of patience, so the process exits at once with code 1 rather than hang.
 */
export function untilStopSignal(onForced: (signal: StopSignal) => void): Promise<StopSignal> {
  return new Promise((resolve) => {
    const first = (signal: StopSignal) => {
      for (const name of stopSignals) {
        process.off(name, first);
        process.once(name, () => {
          onForced(name);
          process.exit(1);
        });
      }
      resolve(signal);
    };
    for (const name of stopSignals) process.on(name, first);
  });
}

/**
 * Lets the process end once a command has stopped or failed. Libraries may
 * leave a handle behind (a Redis client still reconnecting, a WASM backend's
 * threads); a stopped server must not linger because of one, so after a short
 * grace the process exits anyway, with the exit code the CLI settled on by
 * then. The timer is unref'd: a clean stop exits sooner on its own.
 */
export function exitSoon(graceMs = 2_000): void {
  setTimeout(() => process.exit(), graceMs).unref();
}
