import { InProcessTrainer } from "../../services/learning/training/in-process-trainer.ts";
import type {
  Trainer,
  TrainingJob,
  TrainingOutcome,
} from "../../services/learning/training/trainer.ts";
import { TrainingThread } from "../../services/learning/training/training-thread.ts";

/** Where a process's holder workers train: on a training thread (the default) or on the event loop's. */
export type TrainerKind = "thread" | "in-process";
export const trainerKinds: readonly TrainerKind[] = ["thread", "in-process"];

/**
 * A trainer the overhead benchmark switches between rounds, so that both
 * ways of training are measured side by side in one run, on the same
 * workers, instead of in two runs on a machine whose speed drifts.
 */
export class SwitchableTrainer implements Trainer {
  readonly #trainers: Record<TrainerKind, Trainer> = {
    thread: new TrainingThread(),
    "in-process": new InProcessTrainer(),
  };
  current: TrainerKind = "thread";

  train(job: TrainingJob): Promise<TrainingOutcome> {
    return this.#trainers[this.current].train(job);
  }

  async close(): Promise<void> {
    await Promise.all(Object.values(this.#trainers).map((trainer) => trainer.close()));
  }
}
