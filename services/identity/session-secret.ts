import { randomBytes } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";

/**
 * The HMAC key for session tokens. A configured secret wins; otherwise one is
 * made once per data directory, so the API, CLI and workers started from one
 * checkout agree on it without anyone choosing a password.
 */
export async function loadSessionSecret(options: {
  configured: string | undefined;
  dataDir: string;
}): Promise<Uint8Array> {
  if (options.configured !== undefined) return new TextEncoder().encode(options.configured);
  const path = join(options.dataDir, "session-secret");
  try {
    return Buffer.from((await readFile(path, "utf8")).trim(), "hex");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  await mkdir(options.dataDir, { recursive: true });
  const secret = randomBytes(32);
  try {
    // "wx" fails if a concurrent process wrote it first; then we read theirs.
    await writeFile(path, secret.toString("hex"), { mode: 0o600, flag: "wx" });
    return secret;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    return Buffer.from((await readFile(path, "utf8")).trim(), "hex");
  }
}
