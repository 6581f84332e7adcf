import { z } from "zod";
import { AgoraError } from "../../errors/agora-error.ts";
import { modelKinds } from "../models/architecture.ts";
import { roundStandingSchema } from "./round-standing.ts";
import { validationReferenceSchema } from "./validation-reference.ts";

/** The contribution methods Agora stores scores under. */
export const contributionMethods = ["exact-shapley", "gtg-shapley", "leave-one-out"] as const;
export type ContributionMethod = (typeof contributionMethods)[number];

const contentHash = z.string().regex(/^[0-9a-f]{64}$/, "a SHA-256 hex digest");

/** GTG-Shapley's tuning, stored in full (defaults filled in) so a later default cannot change a recomputation. */
export const gtgSettingsSchema = z.object({
  withinRoundTolerance: z.number().nonnegative(),
  betweenRoundTolerance: z.number().nonnegative(),
  convergenceTolerance: z.number().nonnegative(),
  maxPermutations: z.number().int().positive(),
  maxEvaluations: z.number().int().positive().nullable(),
});
export type GtgSettings = z.infer<typeof gtgSettingsSchema>;

/**
 * Everything a round's contribution scores were computed from, stored with
 * every score: rebuild each coalition's model from the update blobs with the
 * strategy, evaluate it on the referenced validation set, run the method with
 * its options and seed, and the same scores come out. `utilities` lists what
 * each evaluated coalition was worth (keys: participant indices, the index
 * being the position in `updates`), so a disagreement can be traced to the
 * coalition where it starts.
 */
export const contributionInputsSchema = z.object({
  version: z.literal(1),
  method: z.enum(contributionMethods),
  /** GTG-Shapley's settings; `null` for the deterministic methods. */
  options: gtgSettingsSchema.nullable(),
  /** Seed of GTG-Shapley's permutation sampler; `null` for the deterministic methods. */
  seed: z.string().nullable(),
  utility: z.literal("validation-accuracy"),
  taskId: z.string().min(1),
  round: z.number().int().nonnegative(),
  model: z.enum(modelKinds),
  /** The strategy spec of the round (see createStrategy), and the seed it was created with. */
  strategy: z.record(z.string(), z.unknown()),
  strategySeed: z.string(),
  startingModelHash: contentHash,
  /** Holder ids in participant-index order (the holders of `updates`, listed on their own for readers of `utilities`). */
  participants: z.array(z.string().min(1)).min(1),
  updates: z
    .array(
      z.object({
        holderId: z.string().min(1),
        updateHash: contentHash,
        samples: z.number().positive(),
        tier: z.number().int().nonnegative(),
      }),
    )
    .min(1),
  failures: z.array(z.object({ holderId: z.string(), reason: z.string() })),
  validation: validationReferenceSchema,
  /** The tfjs backend that evaluated the coalitions (others may differ in the last bits). */
  backend: z.string(),
  utilities: z.record(z.string(), z.number()),
  evaluations: z.number().int().nonnegative(),
  /**
   * Each holder's standing this round (attacker, free rider) with the
   * evidence and thresholds it was decided from (see round-standing.ts).
   * Absent on rows scored before standings were recorded.
   */
  standing: roundStandingSchema.optional(),
});
export type ContributionInputs = z.infer<typeof contributionInputsSchema>;
/** The inputs before the method ran: what it needs, not yet what it saw. */
export type ContributionRecipe = Omit<ContributionInputs, "utilities" | "evaluations">;

/** Reads stored inputs, refusing anything that does not describe one scoring run completely. */
export function parseContributionInputs(raw: unknown): ContributionInputs {
  const parsed = contributionInputsSchema.safeParse(raw);
  if (!parsed.success) {
    throw new AgoraError("invalid", "Contribution inputs are incomplete or malformed", {
      detail: parsed.error.issues
        .map((issue) => `${issue.path.join(".") || "(root)"}: ${issue.message}`)
        .join("; "),
    });
  }
  if (
    parsed.data.method === "gtg-shapley" &&
    (parsed.data.seed === null || parsed.data.options === null)
  ) {
    throw new AgoraError("invalid", "GTG-Shapley inputs need the sampler's seed and settings", {
      detail: `${parsed.data.taskId} round ${parsed.data.round}.`,
    });
  }
  const holders = parsed.data.updates.map((update) => update.holderId);
  if (new Set(holders).size !== holders.length) {
    throw new AgoraError("invalid", "Contribution inputs list a holder twice", {
      detail: holders.join(", "),
    });
  }
  if (parsed.data.participants.join("\n") !== holders.join("\n")) {
    throw new AgoraError(
      "invalid",
      "Contribution inputs list participants and updates differently",
      {
        detail: `participants ${parsed.data.participants.join(", ")}; updates ${holders.join(", ")}.`,
      },
    );
  }
  return parsed.data;
}
