import type { BackendChoice } from "../backend/choose-backend.ts";
import type { LocalTrainOptions, LocalTrainResult } from "./local-train.ts";

/** One holder's local training for one train job. */
export interface TrainingJob extends LocalTrainOptions {
  /** Content hash of `global`: a trainer on another thread receives each global model once. */
  globalHash: string;
  /** `AGORA_TF_BACKEND`, if set. */
  forcedBackend?: string | undefined;
}

export interface TrainingOutcome extends LocalTrainResult {
  /** The backend choice this job caused (a first job, or a model the old backend cannot train). */
  backendChoice?: BackendChoice;
}

/**
 * Where a holder's trainings run. The train worker only asks; a trainer
 * decides the thread (see training-thread.ts for why a thread of its own is
 * the default, in-process-trainer.ts for the alternative).
 */
export interface Trainer {
  train(job: TrainingJob): Promise<TrainingOutcome>;
  close(): Promise<void>;
}
