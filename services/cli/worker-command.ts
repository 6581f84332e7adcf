import { Command } from "commander";
import { AgoraError } from "../errors/agora-error.ts";
import type { HolderDataSource } from "../learning/data/holder-data-source.ts";
import { printerOf } from "./context.ts";
import { ServiceUnreachableError, UsageError } from "./exit-codes.ts";
import { integerArg } from "./input.ts";
import { formatFields } from "./output.ts";
import { exitSoon, untilStopSignal } from "./until-signal.ts";

const workerHelp = `
The worker consumes only the queue train.<holderId> on REDIS_URL under
AGORA_QUEUE_PREFIX, reads and writes models in AGORA_DATA_DIR's blob store
(the coordinator's), and trains on this holder's data only. Until holders
bring their own files, the data is a share of the MNIST demo split
(AGORA_FL_DEMO_HOLDERS shares, seed AGORA_FL_DEMO_SEED): share i for the id
holder-<i>, or the share --demo-partition names for any other id (the ids
the API hands out at registration). Training runs on a thread of its own
(AGORA_TRAINING_THREAD=off: on the worker's thread); AGORA_TF_BACKEND forces
a tfjs backend.

It prints one line (with --json, one JSON object) once its data is loaded and
Redis answers. SIGINT or SIGTERM lets the running job finish and exits 0; a
second signal exits 1 at once. Exit 1 for a bad option, 3 when Redis does not
answer within --connect-timeout.`;

interface WorkerOptions {
  holder: string;
  demoPartition?: number;
  connectTimeout: number;
}

/** `agora worker --holder <id>`: one holder's train worker, as `queues/worker-main.ts` runs it. */
export function workerCommand(): Command {
  return new Command("worker")
    .description("run a data holder's train worker until SIGINT or SIGTERM")
    .requiredOption("--holder <id>", "the holder whose train jobs to run (its registered id)")
    .option(
      "--demo-partition <i>",
      "train on share i (from 0) of the MNIST demo split instead of the share named by the id",
      integerArg(0, 1_000_000),
    )
    .option(
      "--connect-timeout <s>",
      "how long to wait for Redis at start-up, in seconds",
      integerArg(1, 3_600),
      10,
    )
    .addHelpText("after", workerHelp)
    .action(async (options: WorkerOptions, command: Command) => {
      const holderId = options.holder.trim();
      if (!/^[\w.:-]{1,200}$/.test(holderId))
        throw new UsageError("--holder must be a holder id: letters, digits, '.', ':', '_' or '-'");
      // Loaded here: the worker pulls in tfjs and MNIST, which no client command needs.
      const { demoDataSource, startHolderWorker } = await import("../../queues/worker-main.ts");
      const demo = demoDataSource(demoEnvironment(process.env));
      const partition = options.demoPartition ?? demoPartitionOf(holderId, demo.holderIds.length);
      if (partition >= demo.holderIds.length) {
        throw new UsageError(
          `--demo-partition ${partition} is out of range: the demo split has ${demo.holderIds.length} shares (AGORA_FL_DEMO_HOLDERS)`,
        );
      }
      const data = demoShareFor(holderId, demo, `holder-${partition}`);
      // Fail on a missing share now, not in the first round's job.
      const examples = (await data.load(holderId)).labels.length;

      // Listen before saying ready: a signal sent the moment the line appears must not find
      // Node's default action (exit at once, no draining) still in place.
      const stopRequested = untilStopSignal(() => {});
      const running = await startHolderWorker({ holderId, data });
      try {
        await withTimeout(running.worker.waitUntilReady(), options.connectTimeout * 1000);
      } catch {
        await Promise.race([running.stop(), sleep(1_000)]);
        // Reconnect attempts would keep the process alive after the error is reported.
        exitSoon(500);
        throw new ServiceUnreachableError(
          `Redis did not answer within ${options.connectTimeout} s (REDIS_URL); the worker did not start`,
        );
      }
      printerOf(command).result(
        { holderId, queue: `train.${holderId}`, demoPartition: partition, examples },
        (view) =>
          [
            `holder worker ready: ${view.holderId}`,
            formatFields({
              queue: view.queue,
              data: `MNIST demo share ${view.demoPartition} (${view.examples} examples)`,
            }),
          ].join("\n"),
      );
      await stopRequested;
      await running.stop();
      exitSoon();
    });
}

/** The demo split's size, checked: a typo here would silently give every holder other data. */
function demoEnvironment(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const raw = env.AGORA_FL_DEMO_HOLDERS;
  if (raw !== undefined && !(/^\d+$/.test(raw) && Number(raw) >= 1 && Number(raw) <= 10_000))
    throw new UsageError("AGORA_FL_DEMO_HOLDERS must be a whole number from 1 to 10000");
  return env;
}

/** `holder-<i>` names share i; any other id needs --demo-partition. */
function demoPartitionOf(holderId: string, shares: number): number {
  const match = /^holder-(\d+)$/.exec(holderId);
  if (match === null) {
    throw new UsageError(
      `holder ${holderId} is not one of the demo split's ids (holder-0 … holder-${shares - 1}); choose its share with --demo-partition <i>`,
    );
  }
  return Number(match[1]);
}

/** This holder's data: one share of the demo split, whatever the holder's id. */
function demoShareFor(holderId: string, demo: HolderDataSource, shareId: string): HolderDataSource {
  return {
    load: (requested) => {
      if (requested !== holderId)
        throw new AgoraError("forbidden", "Data of another holder", {
          detail: `this worker holds data for ${holderId} only, not ${requested}.`,
        });
      return demo.load(shareId);
    },
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error("timeout")), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
