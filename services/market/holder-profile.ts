import { z } from "zod";

/**
 * What a holder declares about its data: sample count and label histogram,
 * optionally DP-noised before it leaves the holder (then `dpNoised` is true
 * and the counts are approximate).
 */
export const dataSummarySchema = z.object({
  samples: z.int().positive().max(1_000_000_000),
  labels: z.record(z.string().min(1).max(64), z.number().nonnegative()),
  dpNoised: z.boolean().default(false),
});
export type DataSummary = z.infer<typeof dataSummarySchema>;

/** What a holder's node can do: device, measured speed per model tier, memory and availability. */
export const hardwareProfileSchema = z.object({
  device: z.enum(["cpu", "gpu", "wasm", "webgpu"]),
  /** Measured training throughput, samples per second, keyed by model-size tier ("0", "1", …). */
  samplesPerSecond: z.record(z.string().regex(/^\d{1,3}$/), z.number().positive()),
  memoryMb: z.int().positive().max(10_000_000),
  availability: z.object({ from: z.iso.datetime(), until: z.iso.datetime() }),
});
export type HardwareProfile = z.infer<typeof hardwareProfileSchema>;

/** Label → share of the samples, from a histogram of counts. */
export function coverageOf(histogram: Readonly<Record<string, number>>): Record<string, number> {
  const total = Object.values(histogram).reduce((sum, count) => sum + Math.max(count, 0), 0);
  if (total === 0) return {};
  return Object.fromEntries(
    Object.entries(histogram)
      .filter(([, count]) => count > 0)
      .map(([label, count]) => [label, count / total]),
  );
}
