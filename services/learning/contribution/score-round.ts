import * as tf from "@tensorflow/tfjs";
import { ensureBackend } from "../backend/ensure-backend.ts";
import type { BlobStore } from "../blobs/blob-store.ts";
import { getWeights } from "../blobs/weight-blobs.ts";
import type { Dataset } from "../data/dataset.ts";
import type { ModelKind } from "../models/architecture.ts";
import { createStrategy, type StrategySpec } from "../strategies/create-strategy.ts";
import type { FitFailure } from "../strategies/strategy.ts";
import { seededRng } from "../util/random.ts";
import type { ContributionEstimate } from "./coalition-utility.ts";
import type {
  ContributionInputs,
  ContributionMethod,
  ContributionRecipe,
  GtgSettings,
} from "./contribution-inputs.ts";
import { exactShapley, exactShapleyLimit, leaveOneOut } from "./exact-shapley.ts";
import { gtgDefaults, gtgShapley } from "./gtg-shapley.ts";
import { loadRoundReplies, type RoundUpdate, roundCoalitionUtility } from "./round-coalitions.ts";
import type { ValidationSet } from "./validation-reference.ts";
import { ValidationScorer } from "./validation-scorer.ts";

/** How a task's rounds are scored. */
export interface ContributionSettings {
  /**
   * A method, or `auto`: exact Shapley for up to `exactShapleyLimit`
   * participants, GTG-Shapley above. Default `auto`.
   */
  method?: ContributionMethod | "auto";
  /** GTG-Shapley settings; unset ones take `gtgDefaults`. */
  gtg?: Partial<GtgSettings>;
  /** Seed of GTG-Shapley's sampler. Default `gtg|<taskId>|<round>`. */
  seed?: string;
}

/** A closed round, as the scorer needs it. */
export interface RoundToScore {
  taskId: string;
  round: number;
  model: ModelKind;
  strategy: StrategySpec;
  /** Seed the aggregator created the strategy with (its DP noise). Default: the task id, as `closeRound` does. */
  strategySeed?: string;
  startingModelHash: string;
  /** The on-time updates, in the order the aggregator combined them. */
  updates: readonly RoundUpdate[];
  failures?: readonly FitFailure[];
}

export interface ScoreRoundDeps {
  blobs: BlobStore;
  /** The owner's validation set and the reference that finds it again. */
  validation: ValidationSet;
}

export interface MethodRun {
  method: ContributionMethod;
  /** Score per holder id. */
  scores: Map<string, number>;
  /** Distinct coalition models evaluated. */
  evaluations: number;
  /** Utility of every evaluated coalition, by coalition key (see `coalitionKey`). */
  utilities: Record<string, number>;
}

export interface RoundScores extends MethodRun {
  /** Self-describing: `recomputeContributions(inputs)` gives the same scores. */
  inputs: Record<string, unknown>;
  seconds: number;
}

/** GTG-Shapley's seed unless the task names one: one per round, so rounds sample independently. */
const defaultSeed = (round: { taskId: string; round: number }): string =>
  `gtg|${round.taskId}|${round.round}`;

/** `auto` resolved for a round with this many participants. */
export function resolveMethod(
  method: ContributionMethod | "auto",
  participants: number,
): ContributionMethod {
  if (method !== "auto") return method;
  return participants <= exactShapleyLimit ? "exact-shapley" : "gtg-shapley";
}

/**
 * Scores one closed round: rebuilds each coalition's model from the round's
 * update blobs with the round's strategy, measures it on the owner's
 * validation set, and runs the chosen method. Returns the scores with the
 * inputs that reproduce them.
 */
export async function scoreRound(
  round: RoundToScore,
  deps: ScoreRoundDeps,
  settings: ContributionSettings = {},
): Promise<RoundScores> {
  const started = performance.now();
  // Before the recipe: it records the backend the scores are computed on.
  await ensureBackend(round.model);
  const method = resolveMethod(settings.method ?? "auto", round.updates.length);
  const sampled = method === "gtg-shapley";
  const recipe: ContributionRecipe = {
    version: 1,
    method,
    options: sampled ? { ...gtgDefaults(round.updates.length), ...settings.gtg } : null,
    seed: sampled ? (settings.seed ?? defaultSeed(round)) : null,
    utility: "validation-accuracy",
    taskId: round.taskId,
    round: round.round,
    model: round.model,
    strategy: { ...round.strategy },
    strategySeed: round.strategySeed ?? round.taskId,
    startingModelHash: round.startingModelHash,
    participants: round.updates.map((update) => update.holderId),
    updates: round.updates.map(({ holderId, updateHash, samples, tier }) => ({
      holderId,
      updateHash,
      samples,
      tier,
    })),
    failures: (round.failures ?? []).map(({ holderId, reason }) => ({ holderId, reason })),
    validation: deps.validation.reference,
    backend: tf.getBackend(),
  };
  const run = await runContributionMethod(recipe, deps.blobs, deps.validation.data);
  const inputs: ContributionInputs = {
    ...recipe,
    utilities: run.utilities,
    evaluations: run.evaluations,
  };
  return { ...run, inputs, seconds: (performance.now() - started) / 1000 };
}

/**
 * Runs a recipe: the one code path behind both scoring and recomputation,
 * so an auditor's recomputation differs from the original only if an input
 * (a blob, the validation set, the backend's arithmetic) does.
 */
export async function runContributionMethod(
  recipe: ContributionRecipe,
  blobs: BlobStore,
  validation: Dataset,
): Promise<MethodRun> {
  await ensureBackend(recipe.model);
  const global = await getWeights(blobs, recipe.startingModelHash);
  const replies = await loadRoundReplies(blobs, recipe.model, global, recipe.updates);
  const strategy = createStrategy(recipe.strategy, recipe.strategySeed);
  const scorer = new ValidationScorer(recipe.model, validation);
  try {
    const { utility, observed } = roundCoalitionUtility(
      { round: recipe.round, strategy, global, replies, failures: recipe.failures },
      scorer,
    );
    const n = replies.length;
    let estimate: ContributionEstimate;
    if (recipe.method === "exact-shapley") {
      estimate = await exactShapley(n, utility);
    } else if (recipe.method === "leave-one-out") {
      estimate = await leaveOneOut(n, utility);
    } else {
      estimate = await gtgShapley(n, utility, {
        ...(recipe.options ?? gtgDefaults(n)),
        random: seededRng(recipe.seed ?? defaultSeed(recipe)),
      });
    }
    const scores = new Map<string, number>();
    recipe.updates.forEach((update, i) => {
      scores.set(update.holderId, estimate.values[i] ?? 0);
    });
    const utilities = Object.fromEntries(
      [...observed.entries()].sort(([a], [b]) => a.length - b.length || a.localeCompare(b)),
    );
    return { method: recipe.method, scores, evaluations: estimate.evaluations, utilities };
  } finally {
    scorer.dispose();
  }
}
