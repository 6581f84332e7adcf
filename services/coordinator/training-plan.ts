import type { TaskPlan } from "../../queues/round-flows.ts";
import { AgoraError } from "../errors/agora-error.ts";
import { assertModelKind, tierWidths } from "../learning/models/architecture.ts";
import { specOf } from "../market/tasks/post-task.ts";
import type { AgreementRecord } from "../store/repositories/agreements-repository.ts";
import type { TaskRecord } from "../store/repositories/tasks-repository.ts";
import { noiseMultiplierFor } from "./dp-calibration.ts";

/**
 * What the task spec does not say, fixed for every task until owners may
 * choose: the batch size and learning rate of McMahan et al.'s MNIST runs,
 * and a clip norm of 1 for client-level DP (deltas of one local epoch are
 * of that order, so clipping bounds outliers without flattening everyone).
 */
export const trainingDefaults = {
  batchSize: 20,
  learningRate: 0.05,
  clipNorm: 1,
  trainAttempts: 2,
} as const;

/** The tier a holder signed for, checked against the tiers the model really has. */
function agreedTier(agreement: AgreementRecord): number {
  const tier = agreement.terms.modelTier ?? 0;
  if (typeof tier !== "number" || !Number.isInteger(tier) || tier < 0) {
    throw new AgoraError("invalid", "Agreement has no usable model tier", {
      detail: `Holder ${agreement.holderId} agreed to tier ${String(tier)}.`,
    });
  }
  if (tier >= tierWidths.length) {
    throw new AgoraError("invalid", "Agreed model tier cannot be trained", {
      detail: `Holder ${agreement.holderId} agreed to tier ${tier}; the model has tiers 0..${tierWidths.length - 1}.`,
    });
  }
  return tier;
}

/**
 * The market's participation plan (the selection's `rounds`: holder ids
 * invited to each round), checked against what was signed: one entry per
 * round, every invited holder has an agreement, and each round invites at
 * least the updates it needs. Undefined when the task has no stored plan.
 */
function scheduleOf(
  selection: Record<string, unknown> | undefined,
  rounds: number,
  holders: readonly string[],
  minUpdates: number,
): string[][] | undefined {
  const planned = selection?.rounds;
  if (planned === undefined) return undefined;
  const signed = new Set(holders);
  const invalid = (detail: string) =>
    new AgoraError("conflict", "Participation plan does not match the agreements", { detail });
  if (!Array.isArray(planned) || planned.length !== rounds) {
    throw invalid(
      `The selection plans ${Array.isArray(planned) ? planned.length : "no"} rounds; the task has ${rounds}.`,
    );
  }
  return planned.map((invited: unknown, round) => {
    if (
      !Array.isArray(invited) ||
      invited.some((id) => typeof id !== "string" || !signed.has(id))
    ) {
      throw invalid(`Round ${round} invites a holder without a signed agreement.`);
    }
    const unique = [...new Set(invited as string[])].sort();
    if (unique.length < minUpdates) {
      throw invalid(
        `Round ${round} invites ${unique.length} holders and needs ${minUpdates} updates.`,
      );
    }
    return unique;
  });
}

/** Most rounds any one holder is invited to: what its privacy loss composes over. */
const mostInvitations = (schedule: readonly string[][]): number => {
  const counts = new Map<string, number>();
  for (const round of schedule) for (const id of round) counts.set(id, (counts.get(id) ?? 0) + 1);
  return Math.max(1, ...counts.values());
};

/**
 * The task's training plan, read from what was signed: the holders with an
 * agreement, each one's model tier, the spec's rounds, holders per round,
 * over-selection and local epochs, who trains in which round (the market's
 * participation plan, when the task went through the auction), and
 * DP-FedAvg with the noise calibrated to the agreed (ε, δ).
 *
 * Noise is added once, at aggregation (client-level DP, McMahan et al. 2018):
 * added by every holder instead, it would be √n times larger for the same
 * guarantee. The accounting follows how holders are picked. A random sample
 * each round amplifies privacy by the sampling rate over all rounds. A fixed
 * plan does not (who trains is known in advance), so each holder's loss is
 * the plain Gaussian mechanism composed over the rounds it is invited to,
 * and σ is calibrated for the holder invited most.
 *
 * A round needs the spec's `minHolders` updates (or all it asks for, if
 * fewer): the owner said the task is not worth running with fewer.
 */
export function taskPlanFor(
  task: TaskRecord,
  agreements: readonly AgreementRecord[],
  selection?: Record<string, unknown>,
): TaskPlan {
  const spec = specOf(task);
  if (agreements.length === 0) {
    throw new AgoraError("conflict", "Task has no signed agreements", {
      detail: `Task ${task.id} has nobody to train with.`,
    });
  }
  const holders = agreements.map((agreement) => agreement.holderId).sort();
  const clientsPerRound = Math.min(spec.holdersPerRound, holders.length);
  const overcommit = spec.selection.overSelection;
  const asked = Math.min(holders.length, Math.ceil(clientsPerRound * (1 + overcommit)));
  const minUpdates = Math.min(spec.minHolders, clientsPerRound);
  const schedule = scheduleOf(selection, spec.rounds, holders, minUpdates);
  const privacy = { epsilon: spec.privacy.epsilon, delta: spec.privacy.delta };
  const dp = {
    clipNorm: trainingDefaults.clipNorm,
    noiseMultiplier: noiseMultiplierFor(
      schedule === undefined
        ? { ...privacy, rounds: spec.rounds, samplingRate: asked / holders.length }
        : { ...privacy, rounds: mostInvitations(schedule), samplingRate: 1 },
    ),
    noiseAt: "aggregator" as const,
  };
  return {
    taskId: task.id,
    model: assertModelKind(spec.model.name),
    strategy: { name: "dp-fedavg", ...dp },
    localEpochs: Math.max(1, Math.round(spec.localEpochs)),
    batchSize: trainingDefaults.batchSize,
    learningRate: trainingDefaults.learningRate,
    tiers: Object.fromEntries(agreements.map((a) => [a.holderId, agreedTier(a)])),
    dp,
    trainAttempts: trainingDefaults.trainAttempts,
    rounds: spec.rounds,
    holders,
    ...(schedule !== undefined && { schedule }),
    clientsPerRound,
    overcommit,
    minUpdates,
    roundDurationMs: Math.round(spec.roundDeadlineS * 1000),
    seed: task.id,
  };
}
