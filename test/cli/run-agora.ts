import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { freePort } from "../support/free-port.ts";

const root = fileURLToPath(new URL("../../", import.meta.url));
const mainScript = join(root, "services/cli/main.ts");

export interface AgoraRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs the `agora` CLI as a child process, the way a script would. It must be
 * asynchronous: the API under test runs in this process's event loop.
 * `env` replaces every AGORA_* variable, so the developer's own never leak in.
 */
export function runAgora(
  args: readonly string[],
  env: Record<string, string> = {},
): Promise<AgoraRun> {
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.startsWith("AGORA_")),
  );
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [mainScript, ...args], {
      cwd: root,
      env: { ...inherited, NO_COLOR: "1", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
    });
    child.on("error", reject);
    child.on("close", (code) => {
      const run = { code, stdout, stderr };
      const key = env.AGORA_PRIVATE_KEY?.replace(/^0x/, "").toLowerCase();
      if (key) {
        assert.ok(
          !`${stdout}${stderr}`.toLowerCase().includes(key),
          `agora ${args.join(" ")} printed the private key`,
        );
      }
      resolve(run);
    });
  });
}

/** Asserts the exit code, showing the output when it differs. */
export function expectExit(run: AgoraRun, code: number): AgoraRun {
  assert.equal(run.code, code, `exit ${run.code}\nstdout: ${run.stdout}\nstderr: ${run.stderr}`);
  return run;
}

/** Parses `--json` output after checking the exit code. */
export const jsonOf = <T>(run: AgoraRun): T => JSON.parse(expectExit(run, 0).stdout) as T;

/** A scratch directory for input files, removed by `remove()`. */
export async function scratchFiles() {
  const dir = await mkdtemp(join(tmpdir(), "agora-cli-"));
  return {
    write: async (name: string, content: unknown): Promise<string> => {
      const path = join(dir, name);
      await writeFile(path, typeof content === "string" ? content : JSON.stringify(content));
      return path;
    },
    path: (name: string) => join(dir, name),
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}

/** A local URL nothing listens on: a port the OS just handed out and took back. */
export async function deadUrl(): Promise<string> {
  return `http://127.0.0.1:${await freePort()}`;
}
