import type { Interface, Provider, Signer, TransactionReceipt, TransactionRequest } from "ethers";
import { AgoraError } from "../../errors/agora-error.ts";

/** Options of a `TransactionSender`. */
export interface TransactionSenderOptions {
  /** Blocks a receipt must be buried under before a send counts as done. Default 1. */
  confirmations?: number;
  /** How many times one logical transaction is broadcast before giving up. Default 4. */
  maxAttempts?: number;
  /** How long to wait for the confirmations of one broadcast, ms. Default 60,000. */
  confirmationTimeoutMs?: number;
  /** Pause before a retry, ms; doubled each attempt. Default 500. */
  retryDelayMs?: number;
  /**
   * Where receipts are read from. Defaults to the signer's provider; separate so that a flaky
   * read path (or a test injecting one) does not affect signing.
   */
  receiptProvider?: Provider;
}

/** What happened to one logical transaction. */
export type SendOutcome =
  | { kind: "mined"; receipt: TransactionReceipt; attempts: number }
  | { kind: "already-applied"; attempts: number };

/** One logical transaction: the request, its name for errors, and how to see it already happened. */
export interface SendRequest {
  label: string;
  request: TransactionRequest;
  /**
   * Reads chain state and says whether the effect of this transaction is already there (e.g. the
   * committed root equals ours). Checked before every broadcast, so a retry never applies twice.
   */
  alreadyApplied?: () => Promise<boolean>;
  /** The target contract's ABI, to name its custom errors when the transaction reverts. */
  errorInterface?: Interface;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const messageOf = (error: unknown): string =>
  error instanceof Error ? error.message : String(error);

/** ethers' codes for a nonce the chain has already used. */
const isNonceUsed = (error: unknown): boolean => {
  const code = (error as { code?: string }).code;
  return (
    code === "NONCE_EXPIRED" ||
    /nonce too low|already known|nonce has already been used/i.test(messageOf(error))
  );
};

/** A revert (in simulation or on chain): retrying cannot help. Providers report it in many shapes. */
const isRevert = (error: unknown): boolean =>
  (error as { code?: unknown }).code === "CALL_EXCEPTION" ||
  /execution reverted|reverted with|VM Exception/i.test(messageOf(error));

/**
 * Sends transactions for one account: hands out nonces locally (so concurrent sends do not collide),
 * waits for N confirmations, and retries lost or stuck broadcasts without ever applying an effect
 * twice. Every retry of one logical transaction reuses its nonce, so at most one broadcast can be
 * mined; and before each broadcast the caller's `alreadyApplied` check reads chain state.
 *
 * It must be the only sender for its account: another process using the same key would race it.
 */
export class TransactionSender {
  readonly signer: Signer;
  private readonly confirmations: number;
  private readonly maxAttempts: number;
  private readonly confirmationTimeoutMs: number;
  private readonly retryDelayMs: number;
  private readonly receiptProvider: Provider;
  private nextNonce: number | undefined;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(signer: Signer, options: TransactionSenderOptions = {}) {
    const provider = options.receiptProvider ?? signer.provider;
    if (provider === null || provider === undefined) {
      throw new AgoraError("internal", "TransactionSender needs a signer connected to a provider");
    }
    this.signer = signer;
    this.receiptProvider = provider;
    this.confirmations = options.confirmations ?? 1;
    this.maxAttempts = options.maxAttempts ?? 4;
    this.confirmationTimeoutMs = options.confirmationTimeoutMs ?? 60_000;
    this.retryDelayMs = options.retryDelayMs ?? 500;
  }

  /** The sending account's address. */
  address(): Promise<string> {
    return this.signer.getAddress();
  }

  /**
   * Sends one logical transaction and resolves once it is confirmed, or once `alreadyApplied`
   * says its effect is on chain. Sends are serialised: nonces are assigned in call order.
   *
   * @throws AgoraError `conflict` when the transaction reverts (the revert data is the cause),
   *   `unavailable` when every attempt failed to get a confirmation.
   */
  send(transaction: SendRequest): Promise<SendOutcome> {
    const result = this.queue.then(() => this.sendNow(transaction));
    this.queue = result.catch(() => undefined);
    return result;
  }

  private async sendNow({
    label,
    request,
    alreadyApplied,
    errorInterface,
  }: SendRequest): Promise<SendOutcome> {
    let nonce: number | undefined;
    const broadcastHashes: string[] = [];
    let lastError: unknown;
    for (let attempt = 1; attempt <= this.maxAttempts; attempt++) {
      if (attempt > 1) await sleep(this.retryDelayMs * 2 ** (attempt - 2));
      // A broadcast of an earlier attempt may have been mined while we were not looking.
      const mined = await this.findMined(broadcastHashes);
      if (mined !== undefined) return this.settle(label, mined, attempt - 1);
      if (alreadyApplied !== undefined && (await alreadyApplied())) {
        if (nonce !== undefined) this.resyncNonce();
        return { kind: "already-applied", attempts: attempt - 1 };
      }
      try {
        nonce ??= await this.takeNonce();
        const sent = await this.signer.sendTransaction({
          ...request,
          nonce,
          ...(await this.fees(attempt)),
        });
        broadcastHashes.push(sent.hash);
        const receipt = await this.confirmedReceipt(sent.hash);
        if (receipt !== null) return this.settle(label, receipt, attempt);
        lastError = new Error("no receipt");
      } catch (error) {
        if (error instanceof AgoraError) throw error;
        if (isRevert(error)) {
          // Simulation rejected it before broadcast: the nonce was not used.
          if (broadcastHashes.length === 0) this.resyncNonce();
          throw revertError(label, error, errorInterface);
        }
        if (isNonceUsed(error)) {
          // Our nonce is taken: by one of our own broadcasts (checked next loop) or by someone else.
          const ours = await this.findMined(broadcastHashes);
          if (ours !== undefined) return this.settle(label, ours, attempt);
          if (alreadyApplied !== undefined && (await alreadyApplied())) {
            this.resyncNonce();
            return { kind: "already-applied", attempts: attempt };
          }
          this.resyncNonce();
          nonce = undefined;
        }
        lastError = error;
      }
    }
    this.resyncNonce();
    throw new AgoraError("unavailable", `Transaction ${label} was not confirmed`, {
      detail: `${this.maxAttempts} attempts: ${messageOf(lastError)}`,
      cause: lastError,
    });
  }

  private async settle(
    label: string,
    receipt: TransactionReceipt,
    attempts: number,
  ): Promise<SendOutcome> {
    if (receipt.status !== 1) {
      throw new AgoraError("conflict", `Transaction ${label} reverted`, {
        detail: `transaction ${receipt.hash} reverted in block ${receipt.blockNumber}`,
      });
    }
    if (this.confirmations > 1) {
      // A receipt found by lookup (not by waiting) may not be deep enough yet.
      await this.receiptProvider.waitForTransaction(
        receipt.hash,
        this.confirmations,
        this.confirmationTimeoutMs,
      );
    }
    return { kind: "mined", receipt, attempts };
  }

  /**
   * Waits for the receipt. A chain that mines on demand (a local node) has
   * often mined the transaction by the time it is sent, and ethers'
   * `waitForTransaction` may compare the receipt against a block number it
   * cached a moment earlier, then wait for the next block, which on such a
   * chain comes only with someone else's transaction. Asking for the receipt
   * first avoids that wait; a receipt means one confirmation, and `settle`
   * waits for more when more are wanted.
   */
  private async confirmedReceipt(hash: string): Promise<TransactionReceipt | null> {
    const mined = await this.receiptProvider.getTransactionReceipt(hash).catch(() => null);
    if (mined !== null) return mined;
    return this.receiptProvider.waitForTransaction(
      hash,
      this.confirmations,
      this.confirmationTimeoutMs,
    );
  }

  private async findMined(hashes: readonly string[]): Promise<TransactionReceipt | undefined> {
    for (const hash of hashes) {
      const receipt = await this.receiptProvider.getTransactionReceipt(hash).catch(() => null);
      if (receipt !== null) return receipt;
    }
    return undefined;
  }

  private async takeNonce(): Promise<number> {
    if (this.nextNonce === undefined) {
      this.nextNonce = await this.receiptProvider.getTransactionCount(
        await this.signer.getAddress(),
        "pending",
      );
    }
    const nonce = this.nextNonce;
    this.nextNonce = nonce + 1;
    return nonce;
  }

  /** Forgets the local nonce; the next send reads the chain's pending count again. */
  private resyncNonce(): void {
    this.nextNonce = undefined;
  }

  /** A replacement must outbid the stuck broadcast: raise fees 25% per retry (nodes need >= 10%). */
  private async fees(attempt: number): Promise<Partial<TransactionRequest>> {
    if (attempt === 1) return {};
    const data = await this.receiptProvider.getFeeData();
    const bump = (value: bigint) =>
      (value * 125n ** BigInt(attempt - 1)) / 100n ** BigInt(attempt - 1);
    if (data.maxFeePerGas !== null && data.maxPriorityFeePerGas !== null) {
      return {
        maxFeePerGas: bump(data.maxFeePerGas),
        maxPriorityFeePerGas: bump(data.maxPriorityFeePerGas),
      };
    }
    return data.gasPrice === null ? {} : { gasPrice: bump(data.gasPrice) };
  }
}

/** Wraps a revert as an AgoraError, keeping ethers' decoded custom error in the detail. */
export function revertError(label: string, error: unknown, errorInterface?: Interface): AgoraError {
  const revert = decodeRevert(error, errorInterface);
  const detail =
    revert === undefined || revert === null
      ? messageOf(error)
      : `${revert.name}(${revert.args.map((arg) => String(arg)).join(", ")})`;
  return new AgoraError("conflict", `Transaction ${label} reverted`, { detail, cause: error });
}

/** The custom error a revert carries, decoded by ethers or by the given ABI. */
export function decodeRevert(
  error: unknown,
  errorInterface?: Interface,
): { name: string; args: readonly unknown[] } | undefined {
  const known = (error as { revert?: { name: string; args: readonly unknown[] } | null }).revert;
  if (known !== undefined && known !== null) return known;
  const data = revertData(error);
  if (data === undefined || errorInterface === undefined) return undefined;
  const parsed = errorInterface.parseError(data);
  return parsed === null ? undefined : { name: parsed.name, args: [...parsed.args] };
}

/** Finds the revert data in an ethers error, however deeply the provider nested it. */
function revertData(error: unknown, depth = 0): string | undefined {
  if (error === null || typeof error !== "object" || depth > 4) return undefined;
  const { data, error: inner, info } = error as { data?: unknown; error?: unknown; info?: unknown };
  if (typeof data === "string" && data.startsWith("0x")) return data;
  return revertData(data, depth + 1) ?? revertData(inner, depth + 1) ?? revertData(info, depth + 1);
}
