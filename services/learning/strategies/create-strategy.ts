import { z } from "zod";
import { AgoraError } from "../../errors/agora-error.ts";
import { DpFedAvg } from "../privacy/dp-fedavg.ts";
import { CoordinateMedian } from "./coordinate-median.ts";
import { FedAvg } from "./fedavg.ts";
import { FedProx } from "./fedprox.ts";
import { Krum } from "./krum.ts";
import type { Strategy } from "./strategy.ts";
import { TrimmedMean } from "./trimmed-mean.ts";

/** A strategy and its parameters, as an agreement or a job names it. */
export const strategySpecSchema = z.discriminatedUnion("name", [
  z.object({ name: z.literal("fedavg") }),
  z.object({ name: z.literal("fedprox"), mu: z.number().nonnegative() }),
  z.object({ name: z.literal("median") }),
  z.object({ name: z.literal("trimmed-mean"), beta: z.number().min(0).lt(0.5) }),
  z.object({ name: z.literal("krum"), f: z.number().int().nonnegative() }),
  z.object({
    name: z.literal("multi-krum"),
    f: z.number().int().nonnegative(),
    m: z.number().int().positive(),
  }),
  z.object({
    name: z.literal("dp-fedavg"),
    clipNorm: z.number().positive(),
    noiseMultiplier: z.number().nonnegative(),
    noiseAt: z.enum(["holder", "aggregator"]),
  }),
]);
export type StrategySpec = z.infer<typeof strategySpecSchema>;

/** Builds the strategy a spec names; `seed` fixes any randomness (DP noise) per task. */
export function createStrategy(spec: unknown, seed = "agora"): Strategy {
  const parsed = strategySpecSchema.safeParse(spec);
  if (!parsed.success) {
    throw new AgoraError("invalid", "Invalid aggregation strategy", {
      detail: parsed.error.issues.map((issue) => issue.message).join("; "),
    });
  }
  const s = parsed.data;
  switch (s.name) {
    case "fedavg":
      return new FedAvg();
    case "fedprox":
      return new FedProx(s.mu);
    case "median":
      return new CoordinateMedian();
    case "trimmed-mean":
      return new TrimmedMean(s.beta);
    case "krum":
      return new Krum(s.f);
    case "multi-krum":
      return new Krum(s.f, s.m);
    case "dp-fedavg":
      return new DpFedAvg(s, seed);
  }
}
