/**
 * `bench:fl --only overhead`: the overhead rows alone, in about a minute, so
 * a change can be measured again and again. Written to
 * bench/results/fl-overhead.json; the full results (fl.json) stay.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { availableParallelism } from "node:os";
import {
  describeOverhead,
  measureOverhead,
  type OverheadOptions,
  type OverheadSummary,
} from "./overhead.ts";

export async function runOverheadOnly(options: {
  /** Holders per round, one measurement each ("10,100"). */
  sizes: string;
  /** The options for a size; the rest of the run is shared. */
  optionsFor: (perRound: number) => OverheadOptions;
  holders: number;
  backend: string;
  log: (message: string) => void;
}): Promise<OverheadSummary[]> {
  const sizes = options.sizes.split(",").map((size) => Number(size));
  if (sizes.some((size) => !Number.isInteger(size) || size < 1 || size > options.holders)) {
    throw new Error(`--per-round takes sizes from 1 to ${options.holders}, got "${options.sizes}"`);
  }
  const pct = (x: number) => `${(x * 100).toFixed(2)}%`;
  const summaries: OverheadSummary[] = [];
  for (const size of sizes) {
    const summary = await measureOverhead(options.optionsFor(size));
    for (const figures of [summary, ...summary.compared]) {
      options.log(`overhead at ${size}/round, ${figures.trainer}: ${describeOverhead(figures)}`);
    }
    summaries.push(summary);
  }
  const first = options.optionsFor(sizes[0] ?? 1);
  await mkdir("bench/results", { recursive: true });
  const results = {
    benchmark: "fl-overhead",
    generated_at: new Date().toISOString(),
    machine: { cpus: availableParallelism(), node: process.versions.node },
    backend: options.backend,
    config: {
      model: first.model,
      rounds: first.rounds,
      warmup_rounds: first.warmupRounds,
      blob_threads: first.blobThreads,
      holder_processes: first.holderProcesses,
      trainers: first.trainers,
    },
    overhead: summaries,
  };
  await writeFile("bench/results/fl-overhead.json", `${JSON.stringify(results, null, 2)}\n`);
  for (const summary of summaries) {
    for (const figures of [summary, ...summary.compared]) {
      console.log(
        `overhead at ${summary.per_round} holders/round (${figures.trainer})  ${pct(figures.overhead_ratio)}  wall ${figures.wall_s.toFixed(3)} s`,
      );
    }
  }
  return summaries;
}
