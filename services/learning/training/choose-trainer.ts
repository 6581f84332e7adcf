import { AgoraError } from "../../errors/agora-error.ts";
import { InProcessTrainer } from "./in-process-trainer.ts";
import type { Trainer } from "./trainer.ts";
import { sharedTrainingThread } from "./training-thread.ts";

let inProcess: InProcessTrainer | undefined;

/**
 * The trainer `AGORA_TRAINING_THREAD` asks for: the process's training thread
 * (`on`, the default) or the workers' own thread (`off`, for a backend that
 * will not load in a worker thread). Either way one per process, so the
 * holders of a process take turns.
 */
export function chooseTrainer(setting: string | undefined): Trainer {
  const value = setting?.trim() || "on";
  if (value === "on") return sharedTrainingThread();
  if (value === "off") {
    inProcess ??= new InProcessTrainer();
    return inProcess;
  }
  throw new AgoraError("invalid", "Unknown training thread setting", {
    detail: `AGORA_TRAINING_THREAD="${setting}" is not "on" or "off".`,
  });
}
