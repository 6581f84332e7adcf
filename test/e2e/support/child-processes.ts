import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../../", import.meta.url));
const agoraMain = "services/cli/main.ts";

/** How a child ended. */
export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** One spawned process: its output so far, a way to wait for a line, and its end. */
export class Spawned {
  readonly name: string;
  readonly child: ChildProcess;
  readonly exited: Promise<Exit>;
  #output = "";
  #stdout = "";
  #listeners = new Set<() => void>();

  constructor(name: string, child: ChildProcess) {
    this.name = name;
    this.child = child;
    const collect = (chunk: string) => {
      this.#output += chunk;
      for (const listener of this.#listeners) listener();
    };
    child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
      this.#stdout += chunk;
      collect(chunk);
    });
    child.stderr?.setEncoding("utf8").on("data", collect);
    this.exited = new Promise((resolve) => {
      child.once("exit", (code, signal) => {
        for (const listener of this.#listeners) listener();
        resolve({ code, signal });
      });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Everything it printed (stdout and stderr interleaved), for assertions and failure reports. */
  output(): string {
    return this.#output;
  }

  /** What it printed on stdout alone (results; logs and progress go to stderr or are JSON lines). */
  stdout(): string {
    return this.#stdout;
  }

  /**
   * Resolves with the first match of `pattern` in the output (from `from`),
   * rejects when the process exits first or `timeoutMs` passes, with the output in the message.
   */
  waitFor(pattern: RegExp, timeoutMs: number, from = 0): Promise<RegExpMatchArray> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const match = this.#output.slice(from).match(pattern);
        if (match !== null) return done(() => resolve(match));
        if (!this.running) return done(() => reject(this.#failure(`exited before ${pattern}`)));
      };
      const timer = setTimeout(
        () => done(() => reject(this.#failure(`no ${pattern} within ${timeoutMs} ms`))),
        timeoutMs,
      );
      const done = (settle: () => void) => {
        clearTimeout(timer);
        this.#listeners.delete(check);
        settle();
      };
      this.#listeners.add(check);
      check();
    });
  }

  /** Resolves with the exit, or rejects (with the output) if it still runs after `timeoutMs`. */
  async exitWithin(timeoutMs: number): Promise<Exit> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(this.#failure(`still running after ${timeoutMs} ms`)),
        timeoutMs,
      );
    });
    try {
      return await Promise.race([this.exited, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Sends `signal` and waits for the exit (SIGKILL after `graceMs` if it lingers). */
  async stop(signal: NodeJS.Signals = "SIGTERM", graceMs = 15_000): Promise<Exit> {
    if (this.running) this.child.kill(signal);
    const timer = setTimeout(() => this.child.kill("SIGKILL"), graceMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  #failure(what: string): Error {
    return new Error(`${this.name} ${what}; output:\n${this.#output.slice(-4_000)}`);
  }
}

/**
 * Every process a suite spawned, so `after` can kill them all even when a
 * test failed halfway. Children get only the environment they are given on
 * top of PATH-like basics: the developer's own AGORA_* settings never leak in.
 */
export class ProcessBook {
  readonly #all: Spawned[] = [];

  /** Runs `node services/cli/main.ts ...args` (the `agora` CLI) from the repository root. */
  agora(name: string, args: readonly string[], env: Record<string, string>): Spawned {
    const inherited = Object.fromEntries(
      Object.entries(process.env).filter(
        ([key]) =>
          !key.startsWith("AGORA_") && !["DATABASE_URL", "REDIS_URL", "PORT"].includes(key),
      ),
    );
    const child = spawn(process.execPath, [agoraMain, ...args], {
      cwd: root,
      env: { ...inherited, NO_COLOR: "1", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const spawned = new Spawned(name, child);
    this.#all.push(spawned);
    return spawned;
  }

  /** Runs the CLI to completion and returns its exit and output. */
  async run(name: string, args: readonly string[], env: Record<string, string>) {
    const spawned = this.agora(name, args, env);
    const exit = await spawned.exited;
    return { ...exit, output: spawned.output(), stdout: spawned.stdout() };
  }

  /** Every process spawned so far, in order. */
  all(): readonly Spawned[] {
    return this.#all;
  }

  /** SIGKILLs whatever still runs and waits for each exit. */
  async killAll(): Promise<void> {
    await Promise.all(this.#all.map((spawned) => spawned.stop("SIGKILL", 5_000)));
  }

  /** The tail of every process's output, for a failing test's message. */
  report(): string {
    return this.#all
      .map(
        (spawned) =>
          `--- ${spawned.name} (pid ${spawned.pid}) ---\n${spawned.output().slice(-2_000)}`,
      )
      .join("\n");
  }
}
