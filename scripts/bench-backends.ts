/**
 * `./dev bench:backends`: local-training throughput (samples/s) of every tfjs
 * backend that starts on this machine, for both models, through the same
 * `trainLocally` a holder's worker runs. Prints a table and writes
 * bench/results/backends.json (or `--out <file>`).
 *
 * Each cell trains whole epochs over a fixed MNIST slice until at least
 * `--seconds` of training time has passed, after one warm-up epoch (shader
 * compilation on WebGPU, kernel JIT on WASM), so a slow backend is measured
 * as long as a fast one. Batch size 10 is the federated setting of the FL
 * benchmark; 64 shows what a GPU gains once batches are large enough to fill it.
 */
import { spawn } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import { cpus } from "node:os";
import { dirname } from "node:path";
import { parseArgs } from "node:util";
import * as tf from "@tensorflow/tfjs";
import {
  type BackendName,
  backendNames,
  backendSupports,
  chooseBackend,
} from "../services/learning/backend/choose-backend.ts";
import { type Dataset, subset } from "../services/learning/data/dataset.ts";
import { loadMnist } from "../services/learning/data/mnist.ts";
import type { ModelKind } from "../services/learning/models/architecture.ts";
import { initialWeights } from "../services/learning/models/build-model.ts";
import { trainLocally } from "../services/learning/training/local-train.ts";

const { values } = parseArgs({
  options: {
    out: { type: "string", default: "bench/results/backends.json" },
    seconds: { type: "string", default: "3" },
    backends: { type: "string", default: backendNames.join(",") },
    batches: { type: "string", default: "10,64" },
    models: { type: "string", default: "mnist-2nn,mnist-cnn" },
    /** Seconds one cell may take, start-up included; default max(60, 20 × --seconds). */
    "cell-timeout": { type: "string" },
    /** Internal: measure one `backend,model,batch` cell and print it (used by the parent run). */
    cell: { type: "string" },
  },
});
const minSeconds = Number(values.seconds);
const batchSizes = values.batches.split(",").map(Number);
const wanted = values.backends.split(",") as BackendName[];
const models = values.models.split(",") as ModelKind[];

const mnist = loadMnist();
// A fixed slice with every label (the digits are stored grouped by label).
const slice = (size: number): Dataset =>
  subset(
    mnist,
    Array.from({ length: size }, (_, i) => Math.floor((i * mnist.labels.length) / size)),
  );

// Built once on the default (CPU) backend: initialWeights reads synchronously,
// which the WebGPU backend cannot do in Node.
const initial = new Map(models.map((model) => [model, initialWeights(model)]));

interface Cell {
  backend: BackendName;
  gpuAdapter?: string;
  model: ModelKind;
  batchSize: number;
  samplesPerSecond?: number;
  samples?: number;
  seconds?: number;
  error?: string;
}

async function measure(model: ModelKind, batchSize: number, data: Dataset) {
  const train = (seed: string) =>
    trainLocally({
      kind: model,
      tier: 0,
      global: initial.get(model) as Float32Array,
      data,
      epochs: 1,
      batchSize,
      learningRate: 0.05,
      seed,
    });
  await train("warm-up");
  let samples = 0;
  let seconds = 0;
  for (let epoch = 0; seconds < minSeconds; epoch++) {
    const run = await train(`epoch-${epoch}`);
    samples += run.samples;
    seconds += run.trainSeconds;
  }
  return { samples, seconds, samplesPerSecond: samples / seconds };
}

async function adapterDescription(): Promise<string | undefined> {
  const gpu = (globalThis.navigator as { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
  const adapter = (await gpu?.requestAdapter()) as
    | { info?: { vendor?: string; architecture?: string; description?: string } }
    | undefined;
  const info = adapter?.info;
  return info && [info.vendor, info.architecture, info.description].filter(Boolean).join(" / ");
}

/** Measures one cell in this process and prints it as one JSON line (the child's side). */
async function measureCell(cell: Cell): Promise<void> {
  try {
    await chooseBackend({ models: [cell.model], forced: cell.backend });
    if (cell.backend === "webgpu") cell.gpuAdapter = await adapterDescription();
    // Slow combinations (the CNN on plain JavaScript) get a smaller slice, so one epoch stays short.
    const size = cell.model === "mnist-cnn" && cell.backend === "cpu" ? 40 : 2000;
    Object.assign(cell, await measure(cell.model, cell.batchSize, slice(size)));
  } catch (error) {
    // AgoraError keeps the backend's own reason in `detail`.
    const { message, detail } = error as { message?: string; detail?: string };
    cell.error = String(detail ?? message ?? error).split("\n")[0];
  }
  process.stdout.write(`${cellMarker}${JSON.stringify(cell)}\n`);
}

/**
 * Runs one cell in a child process: a native backend that aborts or hangs
 * (Dawn has done both on some drivers) costs that cell, not the whole run.
 */
function runCellInChild(cell: Cell): Promise<Cell> {
  const args = [
    ...process.execArgv,
    process.argv[1] as string,
    "--cell",
    `${cell.backend},${cell.model},${cell.batchSize}`,
    "--seconds",
    String(minSeconds),
  ];
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "inherit"] });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    const limit = setTimeout(() => child.kill("SIGKILL"), cellTimeoutMs);
    child.on("close", (code, signal) => {
      clearTimeout(limit);
      const line = output.split("\n").find((l) => l.startsWith(cellMarker));
      if (line !== undefined) return resolve(JSON.parse(line.slice(cellMarker.length)) as Cell);
      const why =
        signal === "SIGKILL"
          ? `timed out after ${cellTimeoutMs / 1000} s`
          : `crashed (${signal ?? `exit ${code}`})`;
      resolve({ ...cell, error: why });
    });
  });
}

const cellMarker = "cell:";
// The CNN on plain JavaScript needs more on slow cores (a GPU host's CPUs can be).
const cellTimeoutMs =
  (values["cell-timeout"] === undefined
    ? Math.max(60, 20 * minSeconds)
    : Number(values["cell-timeout"])) * 1000;

if (values.cell !== undefined) {
  const [backend, model, batch] = values.cell.split(",");
  await measureCell({
    backend: backend as BackendName,
    model: model as ModelKind,
    batchSize: Number(batch),
  });
  process.exit(0);
}

const cells: Cell[] = [];
for (const backend of backendNames.filter((name) => wanted.includes(name))) {
  for (const model of models) {
    for (const batchSize of batchSizes) {
      const planned: Cell = { backend, model, batchSize };
      const cell = backendSupports(backend, [model])
        ? await runCellInChild(planned)
        : { ...planned, error: "cannot train convolutional models" };
      cells.push(cell);
      const shown = cell.samplesPerSecond?.toFixed(0) ?? `unavailable (${cell.error})`;
      console.error(`${backend} ${model} B=${batchSize}: ${shown}`);
    }
  }
}
const gpuAdapter = cells.find((cell) => cell.gpuAdapter)?.gpuAdapter;

const samplesPerS: Record<string, Record<string, number>> = {};
for (const cell of cells) {
  if (cell.samplesPerSecond === undefined) continue;
  const byModel = samplesPerS[cell.backend] ?? {};
  samplesPerS[cell.backend] = byModel;
  byModel[`${cell.model}@B${cell.batchSize}`] = Number(cell.samplesPerSecond.toFixed(1));
}
const results = {
  benchmark: "backends",
  generated_at: new Date().toISOString(),
  machine: {
    cpu: cpus()[0]?.model,
    cpus: cpus().length,
    gpu_adapter: gpuAdapter ?? null,
    node: process.versions.node,
    tfjs: tf.version.tfjs,
  },
  min_seconds_per_cell: minSeconds,
  samples_per_s: samplesPerS,
  cells,
};
await mkdir(dirname(values.out), { recursive: true });
await writeFile(values.out, `${JSON.stringify(results, null, 2)}\n`);

const rows = cells.map((cell) => [
  cell.backend,
  cell.model,
  String(cell.batchSize),
  cell.samplesPerSecond === undefined ? "—" : cell.samplesPerSecond.toFixed(0),
  cell.error ?? "",
]);
const header = ["backend", "model", "batch", "samples/s", "note"];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
const line = (row: string[]) => row.map((v, i) => v.padEnd(widths[i] ?? 0)).join("  ");
console.log(
  `machine: ${results.machine.cpu} ×${results.machine.cpus}; GPU: ${gpuAdapter ?? "none"}`,
);
console.log(line(header));
for (const row of rows) console.log(line(row));
console.log(`wrote ${values.out}`);
