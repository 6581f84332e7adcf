import { z } from "zod";

/**
 * What a model owner asks for, stored as the task's `spec`. Budget, currency,
 * rail and deadline live in their own columns; everything the mechanism and
 * the agents read is here.
 */
export const taskSpecSchema = z.object({
  model: z.object({
    name: z.string().min(1).max(100),
    /** Smallest and largest model-size tier the owner accepts (0 = smallest). */
    minTier: z.int().min(0).max(255).default(0),
    maxTier: z.int().min(0).max(255).default(255),
  }),
  data: z.object({
    /** The label space; coverage is measured over these labels only. */
    labels: z.array(z.string().min(1).max(64)).min(1).max(1_000),
    /** Fewest in-scope samples a holder must bring. */
    minSamples: z.int().positive().default(1),
  }),
  rounds: z.int().min(1).max(10_000),
  holdersPerRound: z.int().min(1).max(100_000),
  /** Fewest selected holders for the task to go ahead. */
  minHolders: z.int().min(1).max(100_000),
  localEpochs: z.number().positive().max(1_000).default(1),
  /** Seconds a holder has to return its update in each round. */
  roundDeadlineS: z.number().positive().max(86_400),
  privacy: z.object({
    /** Most ε any holder may spend on this task. */
    epsilon: z.number().positive().max(100),
    delta: z.number().gt(0).lt(1),
  }),
  coverage: z
    .object({
      /** Largest acceptable total-variation distance between selected and population labels. */
      maxLabelTv: z.number().min(0).max(1).default(0.1),
      /** The population's label histogram, if the owner knows it; else pooled from the bids. */
      population: z.record(z.string(), z.number().nonnegative()).optional(),
    })
    .prefault({}),
  selection: z
    .object({
      /** Extra holders invited per round against stragglers, as a fraction of holdersPerRound. */
      overSelection: z.number().min(0).max(5).default(0.3),
      /** Priority bonus per round a holder has sat out, for participation fairness. */
      stalenessBonus: z.number().min(0).max(10).default(0.25),
      /** Reserve price as a multiple (basis points) of a bid's utility-proportional share of the budget. */
      reserveMultiplierBps: z.int().min(1).max(1_000_000).default(15_000),
    })
    .prefault({}),
  negotiation: z
    .object({
      /** Moves per side in the alternating-offer protocol. */
      maxRounds: z.int().min(1).max(10).default(3),
      /** Wall-clock limit of the whole negotiation, in ms. */
      timeoutMs: z.int().min(1).max(600_000).default(10_000),
    })
    .prefault({}),
});

export type TaskSpec = z.infer<typeof taskSpecSchema>;
export type TaskSpecInput = z.input<typeof taskSpecSchema>;
