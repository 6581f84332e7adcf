import { spawn } from "node:child_process";
import { access } from "node:fs/promises";

const repositoryRoot = new URL("../../", import.meta.url);

/** Every artifact the demo deploys or talks to. */
const artifacts = [
  "artifacts/contracts/AgoraSettlementEscrow.sol/AgoraSettlementEscrow.json",
  "artifacts/contracts/AgoraTestStablecoin.sol/AgoraTestStablecoin.json",
  "artifacts/contracts/AgoraAuditAnchor.sol/AgoraAuditAnchor.json",
];

const exists = (path: string) =>
  access(new URL(path, repositoryRoot)).then(
    () => true,
    () => false,
  );

/**
 * Compiles the contracts with `hardhat build` when their artifacts are
 * missing (a fresh checkout), so the demo stays one command. Returns whether
 * it compiled; the compiler's output is shown only when it fails.
 */
export async function ensureContractsBuilt(): Promise<boolean> {
  const present = await Promise.all(artifacts.map(exists));
  if (present.every(Boolean)) return false;
  const output: string[] = [];
  const code = await new Promise<number>((resolve, reject) => {
    const child = spawn("npx", ["hardhat", "build"], {
      cwd: repositoryRoot,
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout.on("data", (chunk: Buffer) => output.push(chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => output.push(chunk.toString()));
    child.on("error", reject);
    child.on("close", (status) => resolve(status ?? 1));
  });
  if (code !== 0) {
    throw new Error(`hardhat build failed (exit ${code}):\n${output.join("").slice(-4_000)}`);
  }
  return true;
}
