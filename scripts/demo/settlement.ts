import { setTimeout as sleep } from "node:timers/promises";
import type { Wallet } from "ethers";
import { settleJobId } from "../../queues/payloads.ts";
import { verifyAgainstAnchor } from "../../services/audit/anchor/anchored-log-verification.ts";
import { AuditLog } from "../../services/audit/audit-log.ts";
import { type AuditTaskOutcome, auditTask } from "../../services/audit/auditor/audit-task.ts";
import type { AgoraApiClient } from "../../services/cli/api-client.ts";
import { claimLeafOf, type PayoutProofView } from "../../services/cli/payout-proof.ts";
import { FileBlobStore } from "../../services/learning/blobs/file-blob-store.ts";
import {
  type AuditAnchor,
  AuditAnchorClient,
} from "../../services/settlement/chain/audit-anchor-client.ts";
import { EscrowClient } from "../../services/settlement/chain/escrow-client.ts";
import type { EscrowTask } from "../../services/settlement/chain/escrow-types.ts";
import { TransactionSender } from "../../services/settlement/chain/transaction-sender.ts";
import type { DemoApi } from "./demo-api.ts";
import type { DemoChain } from "./demo-chain.ts";
import type { DemoHolder } from "./holders.ts";
import { spotCheckRecomputer } from "./spot-check-recomputer.ts";

/** One line of GET /tasks/:id/payouts. */
export interface PayoutLine {
  holderId: string;
  leafIndex: number;
  rail: "chain" | "stripe" | "sandbox";
  account: string;
  base: string;
  bonus: string;
  amount: string;
  status: string;
  externalRef: string | null;
  standing: string | null;
  contribution: number | null;
}

export interface PayoutTable {
  taskId: string;
  taskStatus: string;
  currency: string;
  settlement: { step: string; completedAt: string | null; lastError: string | null } | null;
  reportHash: string | null;
  root: string | null;
  payouts: PayoutLine[];
}

/** The payout table, as any signed-in party reads it. */
export const readPayouts = (client: AgoraApiClient, taskId: string): Promise<PayoutTable> =>
  client.get<PayoutTable>(`/tasks/${encodeURIComponent(taskId)}/payouts`);

/**
 * Waits until the coordinator has committed the payout root to the escrow
 * (the settle job then sleeps through the challenge window), or the task
 * settled without anything to commit. A settlement error is reported as it is.
 */
export async function waitForCommit(
  client: AgoraApiClient,
  escrow: EscrowClient,
  taskId: string,
  chainTaskId: bigint,
  timeoutMs: number,
): Promise<EscrowTask> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const onChain = await escrow.getTask(chainTaskId);
    if (onChain.status !== "funded") return onChain;
    const table = await readPayouts(client, taskId);
    if (table.taskStatus === "settled") return onChain;
    if (Date.now() > until) {
      throw new Error(
        `no payout root committed within ${timeoutMs / 1000} s (task ${table.taskStatus}, ` +
          `settlement at ${table.settlement?.step ?? "not started"}${table.settlement?.lastError ? `: ${table.settlement.lastError}` : ""})`,
      );
    }
    await sleep(500);
  }
}

/**
 * The auditor's turn, as `agora audit <task> --submit` does it, with a
 * sampling plan to keep the demo short: recompute contributions (two rounds
 * rebuilt from the stored updates, every round's Shapley arithmetic from
 * the recorded utilities), rebuild the payout table and its root, check
 * privacy, selection bias, fairness and free riders, sign the report, write
 * it, and attest (or dispute) on chain within the challenge window.
 */
export async function runAuditor(options: {
  api: DemoApi;
  chain: DemoChain;
  auditor: Wallet;
  taskId: string;
  rounds: readonly number[];
}): Promise<AuditTaskOutcome & { rebuilt: number[] }> {
  const { api, chain, auditor, taskId } = options;
  const db = api.running.deps.database.db;
  const sender = new TransactionSender(auditor);
  const plan = spotCheckRecomputer({
    blobs: FileBlobStore.inDataDir(api.config.AGORA_DATA_DIR),
    rounds: options.rounds,
    sampled: 2,
    seed: `audit|${auditor.address}|${taskId}`,
  });
  const outcome = await auditTask(taskId, {
    db,
    signer: auditor,
    dataDir: api.config.AGORA_DATA_DIR,
    recompute: plan.recompute,
    log: new AuditLog(db),
    submit: true,
    escrow: {
      client: await EscrowClient.at(chain.escrow, sender, chain.provider),
      chainId: chain.chainId,
    },
    provider: chain.provider,
  });
  return { ...outcome, rebuilt: plan.rebuilt };
}

/** What one holder's claim did. */
export interface ClaimOutcome {
  holderId: string;
  amount: bigint;
  transaction: string | null;
}

/**
 * Every holder with a chain payout claims it from its own wallet, with the
 * leaf and Merkle proof the API serves; the escrow pays the leaf's account.
 */
export async function claimChainPayouts(
  chain: DemoChain,
  holders: readonly DemoHolder[],
  taskId: string,
  onClaim: (outcome: ClaimOutcome) => void,
): Promise<ClaimOutcome[]> {
  const reader = holders[0]?.client;
  if (reader === undefined) return [];
  const table = await readPayouts(reader, taskId);
  const byId = new Map(holders.map((holder) => [holder.id, holder]));
  const outcomes: ClaimOutcome[] = [];
  for (const line of table.payouts) {
    if (line.rail !== "chain" || BigInt(line.amount) === 0n) continue;
    const holder = byId.get(line.holderId);
    if (holder === undefined) throw new Error(`payout to unknown holder ${line.holderId}`);
    const proof = await holder.client.get<PayoutProofView>(
      `/tasks/${encodeURIComponent(taskId)}/payouts/${encodeURIComponent(holder.id)}/proof`,
    );
    const escrow = await EscrowClient.at(
      chain.escrow,
      new TransactionSender(holder.wallet),
      chain.provider,
    );
    const sent = await escrow.claim(BigInt(proof.chainTaskId), claimLeafOf(proof));
    const outcome = {
      holderId: holder.id,
      amount: BigInt(proof.leaf.amount),
      transaction: sent.kind === "mined" ? sent.receipt.hash : null,
    };
    outcomes.push(outcome);
    onClaim(outcome);
  }
  return outcomes;
}

/**
 * Lets the settle job finish: once the auditor's attestation made the
 * payouts final, the job need not sleep out the challenge window, so it is
 * promoted (what an operator does from the queue dashboard); it then
 * returns the remainder to the owner, books the claims from the escrow's
 * events and marks the task settled. The job may have woken on its own
 * while holders were still claiming; claims it did not see are booked by
 * the coordinator's late-claims pass, which this waits for as well.
 */
export async function finishSettlement(
  api: DemoApi,
  client: AgoraApiClient,
  taskId: string,
  timeoutMs: number,
  /** Every chain payout was claimed: wait until the platform has booked each claim. */
  claimed: boolean,
) {
  const job = await api.running.deps.queues.get("settle").getJob(settleJobId({ taskId }));
  if (job !== undefined && (await job.getState()) === "delayed") await job.promote();
  const until = Date.now() + timeoutMs;
  for (;;) {
    const table = await readPayouts(client, taskId);
    if (table.taskStatus === "disputed") return table;
    const unbooked = table.payouts.filter(
      (line) => line.rail === "chain" && BigInt(line.amount) > 0n && line.status !== "claimed",
    );
    if (table.taskStatus === "settled" && (!claimed || unbooked.length === 0)) return table;
    if (Date.now() > until) {
      throw new Error(
        `task still ${table.taskStatus} after ${timeoutMs / 1000} s (settlement at ${table.settlement?.step ?? "?"}` +
          `${table.settlement?.lastError ? `: ${table.settlement.lastError}` : ""})`,
      );
    }
    await sleep(500);
  }
}

/** Where the audit log stands against its newest on-chain anchor. */
export interface AnchorStatus {
  entries: number;
  head: string | null;
  anchor: AuditAnchor | null;
  /** The newest anchor covers the whole log and the log verifies against it. */
  current: boolean;
}

/**
 * Waits for the coordinator's periodic anchoring pass to anchor the audit
 * log's current head in AgoraAuditAnchor, checking the hash chain against
 * the anchor on the way. Returns where it stands when the time is up.
 */
export async function waitForAnchor(
  api: DemoApi,
  chain: DemoChain,
  timeoutMs: number,
): Promise<AnchorStatus> {
  // Reads only: the sender is never used to send.
  const anchors = await AuditAnchorClient.at(
    chain.anchor,
    new TransactionSender(chain.coordinator),
  );
  const log = new AuditLog(api.running.deps.database.db);
  const until = Date.now() + timeoutMs;
  for (;;) {
    const checked = await verifyAgainstAnchor(log, anchors);
    const status = {
      entries: checked.log.entries,
      head: checked.log.head,
      anchor: checked.anchor,
      current:
        checked.ok && checked.anchor !== null && checked.anchor.entryCount === checked.log.entries,
    };
    if (status.current || Date.now() > until) return status;
    await sleep(500);
  }
}
