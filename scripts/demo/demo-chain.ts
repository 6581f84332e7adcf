import { Contract, type InterfaceAbi, JsonRpcProvider, toQuantity, Wallet } from "ethers";
import { loadArtifact } from "../../services/settlement/chain/artifacts.ts";
import { deployAuditAnchor } from "../../services/settlement/chain/audit-anchor-client.ts";
import {
  type ChainRpcServer,
  serveChain,
} from "../../services/settlement/chain/chain-rpc-server.ts";
import { deploySettlement } from "../../services/settlement/chain/deploy.ts";
import {
  type EmbeddedChain,
  startEmbeddedChain,
} from "../../services/settlement/chain/embedded-chain.ts";
import { TransactionSender } from "../../services/settlement/chain/transaction-sender.ts";

/** Gas money for every demo account: plenty for a few transactions each. */
const gasMoney = 10n ** 20n;

/** The demo's chain: contracts deployed, served over JSON-RPC, with accounts for every role. */
export interface DemoChain {
  embedded: EmbeddedChain;
  rpc: ChainRpcServer;
  /** A JSON-RPC client of `rpc.url`: what every party's wallet talks to. */
  provider: JsonRpcProvider;
  chainId: bigint;
  token: string;
  escrow: string;
  anchor: string;
  /** Block the escrow was deployed in, where event scans start. */
  escrowFromBlock: number;
  /** The coordinator's settlement key (CHAIN_PRIVATE_KEY of the API). */
  coordinator: Wallet;
  /** A new account with gas money, connected to `provider`. */
  account(): Promise<Wallet>;
  /** Mints test stablecoins (6 decimals) to `to`. */
  mint(to: string, amount: bigint): Promise<void>;
  /** The stablecoin balance of `account`, minor units. */
  balanceOf(account: string): Promise<bigint>;
  close(): Promise<void>;
}

/**
 * Starts Hardhat's simulated chain in this process, deploys the test
 * stablecoin, the settlement escrow and the audit anchor, and serves it on
 * 127.0.0.1 so the API settles through CHAIN_RPC_URL like against any node.
 */
export async function startDemoChain(): Promise<DemoChain> {
  const embedded = await startEmbeddedChain();
  const deployer = embedded.signers[0];
  if (deployer === undefined) throw new Error("the embedded chain has no funded account");
  const deployerSender = new TransactionSender(deployer);
  const deployment = await deploySettlement({ sender: deployerSender, chainId: embedded.chainId });
  const escrowFromBlock = await embedded.provider.getBlockNumber();
  const rpc = await serveChain(embedded);
  const provider = new JsonRpcProvider(rpc.url, undefined, {
    staticNetwork: true,
    pollingInterval: 250,
  });
  const account = async () => {
    const wallet = new Wallet(Wallet.createRandom().privateKey, provider);
    await provider.send("hardhat_setBalance", [wallet.address, toQuantity(gasMoney)]);
    return wallet;
  };
  const coordinator = await account();
  // The coordinator anchors the audit log's head with the same key (and sender) it settles with.
  const anchor = await deployAuditAnchor(deployerSender, coordinator.address);
  const token = new Contract(
    deployment.token,
    (await loadArtifact("AgoraTestStablecoin")).abi as InterfaceAbi,
    deployer,
  );
  return {
    embedded,
    rpc,
    provider,
    chainId: embedded.chainId,
    token: deployment.token,
    escrow: deployment.escrow,
    anchor,
    escrowFromBlock,
    coordinator,
    account,
    async mint(to, amount) {
      await deployerSender.send({
        label: "mint test stablecoins",
        request: await token.getFunction("mint").populateTransaction(to, amount),
      });
    },
    balanceOf: async (owner) => (await token.getFunction("balanceOf")(owner)) as bigint,
    async close() {
      provider.destroy();
      await rpc.close();
      await embedded.close();
    },
  };
}
