import type { Provider, Signer } from "ethers";
import { network } from "hardhat";

/** A chain the settlement client can use: a provider and funded signers. */
export interface ChainConnection {
  /** What the chain is, for logs: `embedded` or the RPC host. */
  readonly label: string;
  readonly provider: Provider;
  readonly chainId: bigint;
  /** Accounts that can send transactions; the first one deploys and coordinates. */
  readonly signers: readonly Signer[];
  close(): Promise<void>;
}

/** An in-process chain with test-only powers (time travel), used by the demo, tests and benchmarks. */
export interface EmbeddedChain extends ChainConnection {
  /** Moves the next block's timestamp forward and mines it. */
  increaseTime(seconds: number): Promise<void>;
  /** Timestamp of the latest block. */
  latestTimestamp(): Promise<number>;
  /** Mines `count` empty blocks, e.g. to reach a confirmation depth. */
  mine(count?: number): Promise<void>;
  /** Turns automatic mining on or off, to hold transactions in the mempool. */
  setAutomine(enabled: boolean): Promise<void>;
}

/**
 * Starts Hardhat's simulated network (EDR) inside this process, with its 20 funded accounts.
 * Each call gets a fresh, independent chain.
 */
export async function startEmbeddedChain(): Promise<EmbeddedChain> {
  const connection = await network.connect();
  const { ethers } = connection;
  const provider = ethers.provider;
  const signers = await ethers.getSigners();
  const { chainId } = await provider.getNetwork();
  return {
    label: "embedded",
    provider,
    chainId,
    signers,
    async increaseTime(seconds) {
      await provider.send("evm_increaseTime", [seconds]);
      await provider.send("evm_mine", []);
    },
    async latestTimestamp() {
      const block = await provider.getBlock("latest");
      return block?.timestamp ?? 0;
    },
    async mine(count = 1) {
      await provider.send("hardhat_mine", [`0x${count.toString(16)}`]);
    },
    async setAutomine(enabled) {
      await provider.send("evm_setAutomine", [enabled]);
    },
    close: () => connection.close(),
  };
}
