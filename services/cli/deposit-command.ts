import { Command, InvalidArgumentError, Option } from "commander";
import { getAddress, isAddress, type Wallet } from "ethers";
import { isAgoraError } from "../errors/agora-error.ts";
import type { AgoraApiClient } from "./api-client.ts";
import type { TaskView } from "./api-views.ts";
import { checkedRpcUrl, withChainRpc } from "./chain-rpc.ts";
import { signIn } from "./context.ts";
import type { DepositRequest, DepositResult, DepositTarget } from "./escrow-deposit.ts";
import { ProblemError, ServiceUnreachableError, UsageError } from "./exit-codes.ts";
import { integerArg, nonNegativeNumberArg } from "./input.ts";
import { formatFields } from "./output.ts";

/** GET /settlement/chain (services/api/routes/chain-settlement.ts). */
interface ChainSettlementView extends DepositTarget {
  chainId: string;
  confirmations: number;
}

interface DepositOptions {
  auditors: string[];
  threshold: number;
  challengeWindow: number;
  commitGrace: number;
  rpc?: string;
  wait: number;
}

/** What `owner deposit` reports, in every case. */
interface DepositReport {
  taskId: string;
  status: string;
  budget: string;
  currency: string;
  chainId: string;
  escrow: string;
  token: string;
  escrowTaskId: string;
  termsHash: string;
  outcome: DepositResult["outcome"];
  approveTransaction?: string;
  depositTransaction?: string;
}

/** Statuses in which POST /tasks/:id/fund still has something to do. */
const awaitingFunding = new Set(["draft", "funded"]);

const depositHelp = `
Sends, from your key (AGORA_PRIVATE_KEY) over CHAIN_RPC_URL (or --rpc), an
ERC-20 approve of the budget to the escrow (skipped when the allowance covers
it) and the escrow's createTask under the task's terms hash, naming the
deployment's coordinator (GET /settlement/chain). Then asks the API to confirm
the deposit, which opens bidding; with more than one confirmation configured it
polls for up to --wait seconds. Repeating it is safe: a deposit already in the
escrow is reported and nothing is sent. Exit 1 for a task not on the chain
rail or a bad option, 2 when the API or the escrow refuses, 3 when the API or
the chain does not answer.`;

/** `agora owner deposit <taskId>`: fund a chain-rail task's escrow and open bidding. */
export function depositCommand(): Command {
  return new Command("deposit")
    .argument("<taskId>", "the chain-rail task to fund")
    .description(
      "deposit a chain task's budget into the escrow from your wallet, then open bidding (safe to repeat)",
    )
    .requiredOption("--auditors <addresses>", "comma-separated auditor addresses", addressListArg)
    .requiredOption(
      "--threshold <n>",
      "auditor attestations that make the payouts final",
      integerArg(1, 255),
    )
    .option(
      "--challenge-window <s>",
      "seconds after the payout commit in which auditors may dispute",
      integerArg(1, 2 ** 32 - 1),
      86_400,
    )
    .option(
      "--commit-grace <s>",
      "seconds after the task's deadline by which payouts must be committed",
      integerArg(1, 2 ** 32 - 1),
      3_600,
    )
    .addOption(
      new Option("--rpc <url>", "EVM JSON-RPC endpoint of the escrow's chain").env("CHAIN_RPC_URL"),
    )
    .option(
      "--wait <s>",
      "seconds to wait for the API to see the deposit confirmed",
      nonNegativeNumberArg,
      120,
    )
    .addHelpText("after", depositHelp)
    .action(async (taskId: string, options: DepositOptions, command: Command) => {
      if (options.threshold > options.auditors.length) {
        throw new UsageError(
          `--threshold ${options.threshold} is more than the ${options.auditors.length} auditor(s) given`,
        );
      }
      const { client, wallet, print } = await signIn(command, "owner");
      const path = `/tasks/${encodeURIComponent(taskId)}`;
      const task = await client.get<TaskView>(path);
      if (task.rail !== "chain") {
        throw new UsageError(
          `task ${taskId} is on the ${task.rail} rail: there is no chain deposit to make; run agora owner fund ${taskId}`,
        );
      }
      if (getAddress(task.ownerAddress) !== wallet.address) {
        throw new UsageError(
          `task ${taskId} belongs to ${getAddress(task.ownerAddress)}; the key is ${wallet.address}'s`,
        );
      }
      const rpcUrl = checkedRpcUrl(options.rpc, "a chain deposit is sent");
      const target = await client.get<ChainSettlementView>("/settlement/chain");
      const deposit = await depositOverRpc(wallet, rpcUrl, {
        task,
        target,
        settings: {
          auditors: options.auditors,
          threshold: options.threshold,
          challengeWindowS: options.challengeWindow,
          commitGraceS: options.commitGrace,
        },
      });
      const opened = awaitingFunding.has(task.status)
        ? await fundWhenConfirmed(client, path, options.wait * 1_000)
        : task;
      print.result<DepositReport>(
        {
          taskId,
          status: opened.status,
          budget: task.budget,
          currency: task.currency,
          chainId: target.chainId,
          escrow: target.escrow,
          token: target.token,
          escrowTaskId: deposit.escrowTaskId.toString(),
          termsHash: deposit.termsHash,
          outcome: deposit.outcome,
          ...(deposit.approveTransaction !== undefined && {
            approveTransaction: deposit.approveTransaction,
          }),
          ...(deposit.depositTransaction !== undefined && {
            depositTransaction: deposit.depositTransaction,
          }),
        },
        depositText,
      );
    });
}

function addressListArg(value: string): string[] {
  const addresses = value
    .split(",")
    .map((part) => part.trim())
    .filter((part) => part !== "");
  if (addresses.length === 0 || !addresses.every((address) => isAddress(address)))
    throw new InvalidArgumentError("expected comma-separated 0x addresses");
  const checksummed = addresses.map((address) => getAddress(address));
  if (new Set(checksummed).size !== checksummed.length)
    throw new InvalidArgumentError("an auditor is listed twice");
  return checksummed;
}

/** Connects the wallet to the RPC endpoint and deposits; chain failures become exit codes. */
async function depositOverRpc(
  wallet: Wallet,
  rpcUrl: string,
  deposit: Omit<DepositRequest, "owner">,
): Promise<DepositResult> {
  // Loaded here: only this command needs the escrow ABI.
  const { depositToEscrow } = await import("./escrow-deposit.ts");
  return withChainRpc(
    rpcUrl,
    (provider) => depositToEscrow({ owner: wallet.connect(provider), ...deposit }),
    chainFailure,
  );
}

/** A wrong chain is the caller's mistake, a refusal a problem (exit 2), silence exit 3. */
function chainFailure(error: unknown, host: string): unknown {
  if (!isAgoraError(error)) {
    const code = (error as { code?: unknown }).code;
    return code === "NETWORK_ERROR" || code === "TIMEOUT" || code === "SERVER_ERROR"
      ? new ServiceUnreachableError(`the chain at ${host} stopped answering: ${String(error)}`)
      : error;
  }
  if (error.kind === "invalid") return new UsageError(`${error.message}: ${error.detail ?? ""}`);
  if (error.kind === "unavailable")
    return new ServiceUnreachableError(
      `the chain at ${host} did not confirm the deposit: ${error.detail ?? error.message}`,
    );
  return new ProblemError({
    title: error.message,
    status: 409,
    code: "deposit_refused",
    ...(error.detail !== undefined && { detail: error.detail }),
  });
}

/**
 * POST /tasks/:id/fund until the API sees the deposit: it answers 503 while the deposit lacks
 * confirmations, and its node may briefly lag ours (409, no deposit yet). Other answers are final.
 */
async function fundWhenConfirmed(
  client: AgoraApiClient,
  path: string,
  waitMs: number,
): Promise<TaskView> {
  const until = Date.now() + waitMs;
  for (;;) {
    try {
      return await client.post<TaskView>(`${path}/fund`);
    } catch (error) {
      const notYet =
        error instanceof ProblemError &&
        (error.problem.status === 503 ||
          (error.problem.status === 409 && error.problem.title === "No escrow deposit yet"));
      if (!notYet || Date.now() >= until) throw error;
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
  }
}

function depositText(report: DepositReport): string {
  return formatFields({
    task: report.taskId,
    status: report.status,
    budget: `${report.budget} ${report.currency} (minor units)`,
    escrow: `${report.escrow} on chain ${report.chainId}`,
    "escrow task": report.escrowTaskId,
    deposit: report.outcome === "deposited" ? "deposited now" : "already deposited: nothing sent",
    ...(report.approveTransaction !== undefined && { approve: report.approveTransaction }),
    ...(report.depositTransaction !== undefined && { transaction: report.depositTransaction }),
  });
}
