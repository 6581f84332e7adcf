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
 * The task's training plan, read from what was signed: the holders with an
 * agreement, each one's model tier, the spec's rounds, holders per round,
 * over-selection and local epochs, and DP-FedAvg with the noise calibrated
 * to the agreed (ε, δ).
 *
 * Noise is added once, at aggregation (client-level DP, McMahan et al. 2018):
 * added by every holder instead, it would be √n times larger for the same
 * guarantee. A round needs the spec's `minHolders` updates (or all it asks
 * for, if fewer): the owner said the task is not worth running with fewer.
 */
export function taskPlanFor(task: TaskRecord, agreements: readonly AgreementRecord[]): TaskPlan {
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
  const dp = {
    clipNorm: trainingDefaults.clipNorm,
    noiseMultiplier: noiseMultiplierFor({
      epsilon: spec.privacy.epsilon,
      delta: spec.privacy.delta,
      rounds: spec.rounds,
      samplingRate: asked / holders.length,
    }),
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
    clientsPerRound,
    overcommit,
    minUpdates: Math.min(spec.minHolders, clientsPerRound),
    roundDurationMs: Math.round(spec.roundDeadlineS * 1000),
    seed: task.id,
  };
}
