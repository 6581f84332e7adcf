/**
 * `./dev test`: type-check, lint, compile the contracts, then every test suite
 * (node:test files under test/, Solidity tests beside the contracts), and close
 * with one line `N passed, N failed` that sums them all.
 *
 * `./dev test test/api` runs only the node:test files under the given paths.
 */
import { spawn } from "node:child_process";
import { mkdir, readFile, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { stripVTControlCharacters } from "node:util";

interface StageResult {
  name: string;
  passed: number;
  failed: number;
  skipped: number;
  seconds: number;
}

const resultsDir = "test-results";

function run(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, ...env },
    });
    let output = "";
    const tee = (chunk: Buffer, sink: NodeJS.WriteStream) => {
      output += chunk.toString();
      sink.write(chunk);
    };
    child.stdout.on("data", (chunk: Buffer) => tee(chunk, process.stdout));
    child.stderr.on("data", (chunk: Buffer) => tee(chunk, process.stderr));
    child.on("close", (code) => resolve({ code: code ?? 1, output }));
  });
}

/** A stage with no countable tests (type-check, lint, build) counts as one check. */
async function check(name: string, command: string, args: string[]): Promise<StageResult> {
  const started = performance.now();
  console.log(`\n▶ ${name}: ${command} ${args.join(" ")}`);
  const { code } = await run(command, args);
  const ok = code === 0;
  return {
    name,
    passed: ok ? 1 : 0,
    failed: ok ? 0 : 1,
    skipped: 0,
    seconds: (performance.now() - started) / 1000,
  };
}

const count = (text: string, pattern: RegExp): number => {
  const match = pattern.exec(text);
  return match?.[1] === undefined ? 0 : Number(match[1]);
};

async function nodeTests(paths: string[]): Promise<StageResult> {
  const started = performance.now();
  const tapFile = join(resultsDir, "node-tests.tap");
  const args = [
    "--test",
    "--test-concurrency=2",
    // A hung test fails after two minutes instead of stalling CI.
    "--test-timeout=120000",
    "--test-reporter=spec",
    "--test-reporter-destination=stdout",
    "--test-reporter=tap",
    `--test-reporter-destination=${tapFile}`,
    ...(paths.length > 0 ? paths : ["test/**/*.test.ts"]),
  ];
  console.log(`\n▶ node tests: node ${args.join(" ")}`);
  const { code } = await run(process.execPath, args, { NODE_ENV: "test" });
  const tap = await readFile(tapFile, "utf8").catch(() => "");
  const passed = count(tap, /^# pass (\d+)$/m);
  const skipped = count(tap, /^# skipped (\d+)$/m) + count(tap, /^# todo (\d+)$/m);
  let failed = count(tap, /^# fail (\d+)$/m) + count(tap, /^# cancelled (\d+)$/m);
  // A crash before any summary, or a non-zero exit with no failure counted, is still a failure.
  if (code !== 0 && failed === 0) failed = 1;
  if (!/^# tests \d+$/m.test(tap)) {
    console.error(`no test summary in ${tapFile}: counting the stage as failed`);
    failed = Math.max(failed, 1);
  }
  return {
    name: "node tests",
    passed,
    failed,
    skipped,
    seconds: (performance.now() - started) / 1000,
  };
}

async function solidityTests(): Promise<StageResult> {
  const started = performance.now();
  console.log("\n▶ solidity tests: hardhat test solidity");
  const { code, output } = await run("npx", ["hardhat", "test", "solidity", "--no-compile"]);
  const plain = stripVTControlCharacters(output);
  const passed = count(plain, /(\d+) passing/);
  let failed = count(plain, /(\d+) failing/);
  const skipped = count(plain, /(\d+) skipped/);
  if (code !== 0 && failed === 0) failed = 1;
  return {
    name: "solidity tests",
    passed,
    failed,
    skipped,
    seconds: (performance.now() - started) / 1000,
  };
}

// `node --test` takes files and globs; a folder means every test file under it.
const paths = await Promise.all(
  process.argv
    .slice(2)
    .filter((arg) => arg !== "--")
    .map(async (path) =>
      (await stat(path).catch(() => undefined))?.isDirectory()
        ? `${path.replace(/\/+$/, "")}/**/*.test.ts`
        : path,
    ),
);
await rm(resultsDir, { recursive: true, force: true });
await mkdir(resultsDir, { recursive: true });

const results: StageResult[] = [];
if (paths.length === 0) {
  results.push(await check("type-check", "npx", ["tsc", "--noEmit"]));
  results.push(await check("lint", "npx", ["biome", "check", "."]));
  results.push(await check("contracts build", "npx", ["hardhat", "build"]));
  results.push(await nodeTests([]));
  results.push(await solidityTests());
} else {
  results.push(await check("contracts build", "npx", ["hardhat", "build", "--quiet"]));
  results.push(await nodeTests(paths));
}

console.log("\nstage              passed  failed  skipped  seconds");
for (const result of results) {
  console.log(
    `${result.name.padEnd(18)} ${String(result.passed).padStart(6)}  ${String(result.failed).padStart(6)}  ${String(result.skipped).padStart(7)}  ${result.seconds.toFixed(1).padStart(7)}`,
  );
}
const total = (key: "passed" | "failed" | "skipped") => results.reduce((sum, r) => sum + r[key], 0);
const skipped = total("skipped");
console.log(
  `${total("passed")} passed, ${total("failed")} failed${skipped > 0 ? `, ${skipped} skipped` : ""}`,
);
process.exitCode = total("failed") === 0 ? 0 : 1;
