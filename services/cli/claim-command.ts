import { Command, Option } from "commander";
import type { Wallet } from "ethers";
import { isAgoraError } from "../errors/agora-error.ts";
import type { HolderView } from "./api-views.ts";
import { checkedRpcUrl, withChainRpc } from "./chain-rpc.ts";
import { signIn } from "./context.ts";
import { ProblemError, ServiceUnreachableError, UsageError } from "./exit-codes.ts";
import { formatFields } from "./output.ts";
import { claimLeafOf, type PayoutProofView } from "./payout-proof.ts";

/** One line of `GET /tasks/:id/payouts` (services/api/routes/payouts.ts). */
interface PayoutLineView {
  holderId: string;
  rail: string;
  account: string;
  base: string;
  bonus: string;
  amount: string;
  status: string;
  externalRef: string | null;
}

interface PayoutTableView {
  taskId: string;
  taskStatus: string;
  rail: string;
  currency: string;
  label?: string;
  payouts: PayoutLineView[];
}

/** What `holder claim` reports, in every case. */
interface ClaimResult {
  taskId: string;
  holderId: string;
  rail: string;
  currency: string;
  amount: string;
  /** The payout table's status; on the chain rail, `claimed` once the escrow says so. */
  status: string;
  account: string;
  /** `claimed` (sent now), `already-claimed`, or `not-on-chain` (another rail pays it). */
  outcome: "claimed" | "already-claimed" | "not-on-chain";
  transaction?: string;
  externalRef?: string | null;
  label?: string;
}

const claimHelp = `
On the chain rail the claim is sent from your key (AGORA_PRIVATE_KEY) to the
escrow named in the proof, over CHAIN_RPC_URL (or --rpc); the key pays the gas
and the escrow pays the payout account of the leaf. Claiming twice is safe: an
already-claimed payout is reported and exits 0. On the Stripe and sandbox rails
nothing is claimed: the payout is sent to you, and this prints its status.
Exit 2 when there is no payout for you or it is not claimable yet (challenge
window open, disputed), 3 when the API or the chain does not answer.`;

/** `agora holder claim <taskId>`: claim a chain payout, or show a fiat one. */
export function claimCommand(): Command {
  return new Command("claim")
    .argument("<taskId>", "the settled task whose payout to claim")
    .description("claim your payout from the escrow on the chain rail; on other rails, show it")
    .addOption(
      new Option("--rpc <url>", "EVM JSON-RPC endpoint of the escrow's chain").env("CHAIN_RPC_URL"),
    )
    .addHelpText("after", claimHelp)
    .action(async (taskId: string, options: { rpc?: string }, command: Command) => {
      const { client, wallet, print } = await signIn(command, "holder");
      const me = await client.get<HolderView>("/holders/me");
      const table = await client.get<PayoutTableView>(
        `/tasks/${encodeURIComponent(taskId)}/payouts`,
      );
      const line = table.payouts.find((payout) => payout.holderId === me.id);
      if (line === undefined) {
        throw new ProblemError({
          title: "No payout for you",
          status: 404,
          code: "payout_not_found",
          detail: `Task ${taskId} (${table.taskStatus}) has no payout line for holder ${me.id}${table.payouts.length === 0 ? " yet: settlement has not planned payouts" : ""}.`,
        });
      }
      const base = {
        taskId,
        holderId: me.id,
        rail: line.rail,
        currency: table.currency,
        amount: line.amount,
        status: line.status,
        account: line.account,
      };
      if (line.rail !== "chain") {
        print.result<ClaimResult>(
          {
            ...base,
            outcome: "not-on-chain",
            externalRef: line.externalRef,
            ...(table.label !== undefined && { label: table.label }),
          },
          claimText,
        );
        return;
      }
      const rpcUrl = checkedRpcUrl(options.rpc, "a chain payout is claimed");
      const proof = await client.get<PayoutProofView>(
        `/tasks/${encodeURIComponent(taskId)}/payouts/${encodeURIComponent(me.id)}/proof`,
      );
      print.result(await claimOnChain(wallet, rpcUrl, proof, base), claimText);
    });
}

type ClaimBase = Omit<ClaimResult, "outcome">;

/** Sends the escrow claim, unless the leaf is claimed already; checks the chain first. */
async function claimOnChain(
  wallet: Wallet,
  rpcUrl: string,
  proof: PayoutProofView,
  base: ClaimBase,
): Promise<ClaimResult> {
  // Loaded here: only chain claims need the escrow ABI.
  const [{ EscrowClient }, { TransactionSender }] = await Promise.all([
    import("../settlement/chain/escrow-client.ts"),
    import("../settlement/chain/transaction-sender.ts"),
  ]);
  return withChainRpc(
    rpcUrl,
    async (provider, chainId) => {
      if (chainId !== BigInt(proof.chainId)) {
        throw new UsageError(
          `the RPC endpoint ${new URL(rpcUrl).host} serves chain ${chainId}; the payout is on chain ${proof.chainId}`,
        );
      }
      const escrow = await EscrowClient.at(
        proof.escrow,
        new TransactionSender(wallet.connect(provider)),
        provider,
      );
      const chainTaskId = BigInt(proof.chainTaskId);
      const leaf = claimLeafOf(proof);
      if (await escrow.isClaimed(chainTaskId, leaf.index)) {
        return { ...base, status: "claimed", outcome: "already-claimed" };
      }
      const onChain = await escrow.getTask(chainTaskId);
      if (!onChain.claimable) {
        const opens =
          onChain.status === "committed" && onChain.challengeEndsAt > 0
            ? ` It becomes claimable with enough auditor attestations or after ${new Date(onChain.challengeEndsAt * 1000).toISOString()}.`
            : "";
        throw new ProblemError({
          title: "Payout not claimable yet",
          status: 409,
          code: "payout_not_claimable",
          detail: `Escrow task ${chainTaskId} is ${onChain.status}.${opens}`,
        });
      }
      const outcome = await escrow.claim(chainTaskId, leaf);
      return outcome.kind === "mined"
        ? { ...base, status: "claimed", outcome: "claimed", transaction: outcome.receipt.hash }
        : { ...base, status: "claimed", outcome: "already-claimed" };
    },
    chainFailure,
  );
}

/** The escrow's refusals are problems (exit 2); a chain that stops answering is exit 3. */
function chainFailure(error: unknown, host: string): unknown {
  if (!isAgoraError(error)) return error;
  if (error.kind === "unavailable")
    return new ServiceUnreachableError(
      `the chain at ${host} did not confirm the claim: ${error.detail ?? error.message}`,
    );
  return new ProblemError({
    title: error.message,
    status: 409,
    code: "claim_refused",
    ...(error.detail !== undefined && { detail: error.detail }),
  });
}

function claimText(result: ClaimResult): string {
  const said = {
    claimed: "claimed now",
    "already-claimed": "already claimed: nothing sent",
    "not-on-chain": `paid on the ${result.rail} rail: nothing to claim`,
  }[result.outcome];
  return formatFields({
    task: result.taskId,
    holder: result.holderId,
    amount: `${result.amount} ${result.currency} (minor units)`,
    rail: result.rail,
    status: result.status,
    account: result.account,
    claim: said,
    ...(result.transaction !== undefined && { transaction: result.transaction }),
    ...(result.externalRef ? { reference: result.externalRef } : {}),
    ...(result.label !== undefined && { note: result.label }),
  });
}
