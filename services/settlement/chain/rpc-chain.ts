import { JsonRpcProvider, Wallet } from "ethers";
import { AgoraError } from "../../errors/agora-error.ts";
import type { ChainConnection } from "./embedded-chain.ts";

/** How to reach a real chain. */
export interface RpcChainOptions {
  /** Any EVM JSON-RPC endpoint (`CHAIN_RPC_URL`). */
  url: string;
  /** The settlement account's key (`CHAIN_PRIVATE_KEY`), 0x-prefixed 32 bytes. */
  privateKey: string;
}

/**
 * Connects to a JSON-RPC chain with one signing wallet. Nonces are not managed here but by the
 * `TransactionSender`, which must be the only sender for that key.
 *
 * @throws AgoraError `invalid` for a malformed key, `unavailable` if the endpoint does not answer.
 */
export async function connectRpcChain(options: RpcChainOptions): Promise<ChainConnection> {
  if (!/^0x[0-9a-fA-F]{64}$/.test(options.privateKey)) {
    throw new AgoraError("invalid", "Invalid chain private key", {
      detail: "CHAIN_PRIVATE_KEY must be 0x followed by 64 hex digits",
    });
  }
  // ethers polls for receipts every 4 s by default, tuned for 12 s L1 blocks; rollups and local
  // nodes mine in a second or less, and every settlement step waits on a receipt.
  const provider = new JsonRpcProvider(options.url, undefined, {
    staticNetwork: false,
    pollingInterval: 1_000,
  });
  let chainId: bigint;
  try {
    chainId = (await provider.getNetwork()).chainId;
  } catch (cause) {
    provider.destroy();
    throw new AgoraError("unavailable", "Chain RPC endpoint unreachable", {
      detail: `no answer from ${new URL(options.url).host}`,
      cause,
    });
  }
  const wallet = new Wallet(options.privateKey, provider);
  return {
    label: new URL(options.url).host,
    provider,
    chainId,
    signers: [wallet],
    close: async () => provider.destroy(),
  };
}

/**
 * The chain named by the environment: `CHAIN_RPC_URL` with `CHAIN_PRIVATE_KEY` when set, else the
 * embedded simulated network.
 */
export async function connectChainFromEnvironment(
  env: NodeJS.ProcessEnv = process.env,
): Promise<ChainConnection> {
  const url = env.CHAIN_RPC_URL;
  if (url === undefined || url === "") {
    const { startEmbeddedChain } = await import("./embedded-chain.ts");
    return startEmbeddedChain();
  }
  const privateKey = env.CHAIN_PRIVATE_KEY;
  if (privateKey === undefined || privateKey === "") {
    throw new AgoraError("invalid", "CHAIN_PRIVATE_KEY is required with CHAIN_RPC_URL");
  }
  return connectRpcChain({ url, privateKey });
}
