import { Command } from "commander";
import { noAgreement, signatureText } from "./agreement-signing.ts";
import type {
  AgreementView,
  BidView,
  SelectionView,
  SignatureResult,
  TaskView,
} from "./api-views.ts";
import { signIn } from "./context.ts";
import { depositCommand } from "./deposit-command.ts";
import { ProblemError } from "./exit-codes.ts";
import { nonNegativeNumberArg, readJsonObject } from "./input.ts";
import { formatFields, formatTable } from "./output.ts";
import { fetchMarketDomain, signAgreement } from "./typed-signing.ts";
import { progressText, watchTask } from "./watch-task.ts";

interface StatusOptions {
  watch?: boolean;
  interval: number;
}

/** What `POST /tasks/:id/start` answers (services/api/routes/training.ts). */
interface TrainingStartView {
  taskId: string;
  status: string;
  started: boolean;
  rounds?: number;
  holders?: string[];
}

const trainingText = (start: TrainingStartView): string =>
  formatFields({
    task: start.taskId,
    status: start.status,
    started: start.started ? "yes: round 0 is queued" : "no: it had been started already",
    ...(start.rounds !== undefined && { rounds: String(start.rounds) }),
    ...(start.holders !== undefined && { holders: start.holders.join(", ") }),
  });

const path = (taskId: string, rest = ""): string => `/tasks/${encodeURIComponent(taskId)}${rest}`;

const taskFieldValues = (task: TaskView): Record<string, string> => ({
  task: task.id,
  status: task.status,
  model: task.spec.model.name,
  budget: `${task.budget} ${task.currency} (minor units, ${task.rail} rail)`,
  deadline: task.deadline,
});

const taskFields = (task: TaskView): string => formatFields(taskFieldValues(task));

const selectionText = (selection: SelectionView): string =>
  [
    formatFields({
      selected: `${selection.winners.length}${selection.enoughHolders ? "" : " (fewer than the task needs)"}`,
      "total payment": `${selection.totalPayment} of ${selection.budget}`,
      "label TV": `${selection.labelTv.toFixed(4)} (bound ${selection.maxLabelTv})`,
      "participation Gini": selection.participationGini.toFixed(4),
    }),
    "",
    formatTable(selection.winners, [
      { header: "HOLDER", value: (winner) => winner.holderId },
      { header: "PRICE", value: (winner) => winner.price },
      { header: "PAYMENT", value: (winner) => winner.payment },
    ]),
    ...selection.negotiationFailed.map(
      (failure) => `no deal on ${failure.bidId}: ${failure.reason}`,
    ),
  ].join("\n");

/** `agora owner …`: post tasks, deposit and fund them, watch bids, clear the auction, sign agreements. */
export function ownerCommands(): Command {
  const owner = new Command("owner").description(
    "act as a model owner (signs in with the owner role)",
  );

  owner
    .command("post")
    .description("post a training task as a draft (it takes bids once funded)")
    .requiredOption(
      "--spec <file>",
      "JSON file with the POST /tasks body: { spec, budget, currency, rail, deadline }",
    )
    .action(async (options: { spec: string }, command: Command) => {
      const body = await readJsonObject(options.spec, "task spec");
      const { client, print } = await signIn(command, "owner");
      print.result(await client.post<TaskView>("/tasks", body), taskFields);
    });

  owner.addCommand(depositCommand());

  owner
    .command("fund")
    .argument("<taskId>", "the task to fund")
    .description("confirm the task's funding through its rail and open bidding (safe to repeat)")
    .action(async (taskId: string, _options: unknown, command: Command) => {
      const { client, print } = await signIn(command, "owner");
      print.result(await client.post<TaskView>(path(taskId, "/fund")), taskFields);
    });

  owner
    .command("start")
    .argument("<taskId>", "the agreed task to train")
    .description(
      "start training a task whose agreements are all signed: round 0 is queued (safe to repeat)",
    )
    .action(async (taskId: string, _options: unknown, command: Command) => {
      const { client, print } = await signIn(command, "owner");
      print.result(await client.post<TrainingStartView>(path(taskId, "/start")), trainingText);
    });

  owner
    .command("status")
    .argument("<taskId>", "the task to show")
    .description(
      "show the task, how many bids it has, and its selection once cleared; --watch follows its rounds until it settles",
    )
    .option(
      "--watch",
      "follow the rounds with a progress bar until the task settles (exit 0), or ends disputed or cancelled (exit 2)",
    )
    .option("--interval <s>", "seconds between polls with --watch", nonNegativeNumberArg, 2)
    .action(async (taskId: string, options: StatusOptions, command: Command) => {
      const { client, wallet, print } = await signIn(command, "owner");
      if (options.watch === true) {
        const intervalMs = Math.max(options.interval, 0.1) * 1000;
        const progress = await watchTask({
          client,
          wallet,
          taskId,
          intervalMs,
          patienceMs: 60_000,
        });
        print.result(progress, progressText);
        return;
      }
      const [task, { bids }, selection] = await Promise.all([
        client.get<TaskView>(path(taskId)),
        client.get<{ bids: BidView[] }>(path(taskId, "/bids")),
        client.get<SelectionView>(path(taskId, "/selection")).catch(absentWhenNotFound),
      ]);
      print.result({ task, bids: bids.length, selection }, (status) =>
        [
          formatFields({ ...taskFieldValues(status.task), bids: String(status.bids) }),
          "",
          status.selection === null
            ? "selection: not cleared yet"
            : selectionText(status.selection),
        ].join("\n"),
      );
    });

  owner
    .command("bids")
    .argument("<taskId>", "the task whose bids to list")
    .description("list the bids on one of your tasks")
    .action(async (taskId: string, _options: unknown, command: Command) => {
      const { client, print } = await signIn(command, "owner");
      print.result(await client.get<{ bids: BidView[] }>(path(taskId, "/bids")), ({ bids }) =>
        formatTable(bids, [
          { header: "BID", value: (bid) => bid.id },
          { header: "HOLDER", value: (bid) => bid.holderId },
          { header: "PRICE", value: (bid) => bid.price },
          { header: "SAMPLES", value: (bid) => String(bid.samples ?? "") },
          { header: "TIER", value: (bid) => String(bid.modelTier ?? "") },
          { header: "EPSILON", value: (bid) => String(bid.epsilonCost ?? "") },
          { header: "STATUS", value: (bid) => bid.status },
        ]),
      );
    });

  owner
    .command("negotiate")
    .argument("<taskId>", "the task to clear")
    .description(
      "close bidding, negotiate with each bidder's guardian, clear the auction and propose agreements",
    )
    .action(async (taskId: string, _options: unknown, command: Command) => {
      const { client, print } = await signIn(command, "owner");
      print.result(await client.post<SelectionView>(path(taskId, "/negotiate")), selectionText);
    });

  owner
    .command("sign")
    .argument("<taskId>", "the task")
    .argument("<holderId>", "the winning holder whose agreement to sign")
    .description("sign the proposed agreement with one winning holder (EIP-712), as the owner")
    .action(async (taskId: string, holderId: string, _options: unknown, command: Command) => {
      const { client, wallet, print } = await signIn(command, "owner");
      const { agreements } = await client.get<{ agreements: AgreementView[] }>(
        path(taskId, "/agreements"),
      );
      const proposal = agreements.find((agreement) => agreement.holderId === holderId);
      if (proposal === undefined)
        throw noAgreement(`Task ${taskId} has no agreement proposed to holder ${holderId}.`);
      const market = await fetchMarketDomain(client);
      const body = await signAgreement(wallet, market, taskId, proposal.termsHash);
      const signed = await client.post<SignatureResult>(
        path(taskId, `/agreements/${encodeURIComponent(holderId)}/signatures`),
        body,
      );
      print.result(signed, signatureText);
    });

  return owner;
}

/** A task without a selection answers 404; for `status` that just means "not yet". */
function absentWhenNotFound(error: unknown): null {
  if (error instanceof ProblemError && error.problem.status === 404) return null;
  throw error;
}
