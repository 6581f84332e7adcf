import cliProgress from "cli-progress";
import type { Wallet } from "ethers";
import type { AgoraApiClient } from "./api-client.ts";
import type { TaskView } from "./api-views.ts";
import { type ProblemDetails, ProblemError, UnreachableError } from "./exit-codes.ts";
import { formatFields, formatTable } from "./output.ts";

/** One archived round, as the public dashboard JSON reports it. */
export interface RoundView {
  round: number;
  status: string;
  accuracy: number | null;
  closedAt: string | null;
}

/** Where a task stands: its status and the rounds the coordinator has closed. */
export interface TaskProgress {
  task: TaskView;
  roundsPlanned: number;
  roundsClosed: number;
  rounds: RoundView[];
}

/** States a task never leaves: watching ends there. */
const finalStatuses = new Set(["settled", "disputed", "cancelled"]);

export interface WatchOptions {
  client: AgoraApiClient;
  wallet: Wallet;
  taskId: string;
  intervalMs: number;
  /** How long the API may stay unreachable (a restart) before the watch gives up. */
  patienceMs: number;
  /** Where progress goes; stdout is kept for the result. */
  stderr?: NodeJS.WriteStream;
}

/**
 * Polls the task until it is settled, drawing the closed rounds as a
 * progress bar (one line per change when stderr is not a terminal). A task
 * that ends disputed or cancelled is a problem (exit 2); an API that stays
 * unreachable longer than the patience is exit 3. A restart of the API in
 * between is ridden out, and an expired session is renewed.
 */
export async function watchTask(options: WatchOptions): Promise<TaskProgress> {
  const stderr = options.stderr ?? process.stderr;
  const view = progressView(stderr);
  let unreachableSince: number | undefined;
  try {
    for (;;) {
      let progress: TaskProgress | undefined;
      try {
        progress = await readProgress(options);
        unreachableSince = undefined;
      } catch (error) {
        if (!(error instanceof UnreachableError)) throw error;
        unreachableSince ??= Date.now();
        if (Date.now() - unreachableSince > options.patienceMs) throw error;
        view.note(`API unreachable (${error.message}); retrying`);
      }
      if (progress !== undefined) {
        view.show(progress);
        if (finalStatuses.has(progress.task.status)) {
          if (progress.task.status !== "settled") throw notSettled(progress);
          return progress;
        }
      }
      await new Promise((resolve) => setTimeout(resolve, options.intervalMs));
    }
  } finally {
    view.stop();
  }
}

async function readProgress(options: WatchOptions): Promise<TaskProgress> {
  const path = `/tasks/${encodeURIComponent(options.taskId)}`;
  const task = await renewingSession(options, () => options.client.get<TaskView>(path));
  // Drafts are not public on the dashboard; they have no rounds either.
  const rounds =
    task.status === "draft"
      ? []
      : (
          await options.client.get<{ rounds: RoundView[] }>(
            `/dashboard/api/tasks/${encodeURIComponent(options.taskId)}`,
          )
        ).rounds;
  return {
    task,
    roundsPlanned: task.spec.rounds,
    roundsClosed: rounds.filter((round) => round.closedAt !== null).length,
    rounds,
  };
}

/** Sessions last minutes (AGORA_SESSION_TTL_S) and a training task can take longer. */
async function renewingSession<T>(options: WatchOptions, read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (error) {
    if (!(error instanceof ProblemError && error.problem.status === 401)) throw error;
    await options.client.signIn(options.wallet, "owner");
    return read();
  }
}

function notSettled(progress: TaskProgress): ProblemError {
  const problem: ProblemDetails = {
    title: "Task did not settle",
    status: 409,
    code: `task_${progress.task.status}`,
    detail: `Task ${progress.task.id} ended ${progress.task.status} after ${progress.roundsClosed} of ${progress.roundsPlanned} rounds.`,
  };
  return new ProblemError(problem);
}

const latestAccuracy = (progress: TaskProgress): string => {
  const last = progress.rounds.findLast((round) => round.accuracy !== null);
  return last?.accuracy == null ? "-" : last.accuracy.toFixed(4);
};

/** A live bar on a terminal; elsewhere (logs, CI) one plain line whenever something changed. */
function progressView(stderr: NodeJS.WriteStream) {
  let bar: InstanceType<typeof cliProgress.SingleBar> | undefined;
  let lastLine = "";
  return {
    show(progress: TaskProgress) {
      const payload = { status: progress.task.status, accuracy: latestAccuracy(progress) };
      if (stderr.isTTY) {
        if (bar === undefined) {
          bar = new cliProgress.SingleBar(
            {
              stream: stderr,
              format: "rounds [{bar}] {value}/{total} | {status} | accuracy {accuracy}",
              hideCursor: true,
            },
            cliProgress.Presets.shades_classic,
          );
          bar.start(progress.roundsPlanned, progress.roundsClosed, payload);
        }
        bar.update(progress.roundsClosed, payload);
        return;
      }
      const line = `task ${progress.task.id}: ${payload.status}, rounds ${progress.roundsClosed}/${progress.roundsPlanned} closed, accuracy ${payload.accuracy}`;
      if (line !== lastLine) stderr.write(`${line}\n`);
      lastLine = line;
    },
    note(message: string) {
      if (bar === undefined) stderr.write(`${message}\n`);
    },
    stop() {
      bar?.stop();
      bar = undefined;
    },
  };
}

/** The final state for a person: the task, then one line per round. */
export function progressText(progress: TaskProgress): string {
  return [
    formatFields({
      task: progress.task.id,
      status: progress.task.status,
      rounds: `${progress.roundsClosed} of ${progress.roundsPlanned} closed`,
      accuracy: latestAccuracy(progress),
    }),
    "",
    formatTable(progress.rounds, [
      { header: "ROUND", value: (round) => String(round.round) },
      { header: "STATUS", value: (round) => round.status },
      {
        header: "ACCURACY",
        value: (round) => (round.accuracy === null ? "-" : round.accuracy.toFixed(4)),
      },
    ]),
  ].join("\n");
}
