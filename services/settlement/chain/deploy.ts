import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { ContractFactory, getAddress, type InterfaceAbi } from "ethers";
import { AgoraError } from "../../errors/agora-error.ts";
import { loadArtifact, type SettlementContractName } from "./artifacts.ts";
import type { TransactionSender } from "./transaction-sender.ts";

/** Addresses of one settlement deployment on one chain. */
export interface SettlementDeployment {
  chainId: string;
  token: string;
  escrow: string;
}

/** What to deploy. */
export interface DeployOptions {
  /** Sends the deployments; its account becomes the escrow's admin unless `admin` says otherwise. */
  sender: TransactionSender;
  chainId: bigint;
  /** An existing ERC-20 to settle in; when absent the test stablecoin is deployed (development only). */
  token?: string;
  admin?: string;
  /** Gets the arbiter role; defaults to the admin. */
  arbiter?: string;
  /**
   * JSON file recording the addresses per chain. With it, deploying again reuses contracts that are
   * still there, so a re-run of a half-finished deployment finishes it instead of duplicating it.
   */
  recordFile?: string;
}

type DeploymentRecord = Record<string, SettlementDeployment>;

/**
 * Deploys the settlement contracts (test stablecoin if needed, then the escrow). Idempotent per
 * chain when a record file is given: each address is saved as soon as its contract is deployed.
 */
export async function deploySettlement(options: DeployOptions): Promise<SettlementDeployment> {
  const { sender, chainId, recordFile } = options;
  const chainKey = chainId.toString();
  const record = recordFile === undefined ? {} : await readRecord(recordFile);
  const previous = record[chainKey];
  const save = async (deployment: Partial<SettlementDeployment>) => {
    if (recordFile === undefined) return;
    record[chainKey] = { ...record[chainKey], ...deployment } as SettlementDeployment;
    await writeRecord(recordFile, record);
  };

  let token = options.token === undefined ? undefined : getAddress(options.token);
  if (token === undefined) {
    token = (await hasCode(sender, previous?.token)) ? previous?.token : undefined;
    token ??= await deployContract(sender, "AgoraTestStablecoin", []);
  }
  await save({ chainId: chainKey, token });

  const sameToken = previous?.token !== undefined && getAddress(previous.token) === token;
  let escrow =
    sameToken && (await hasCode(sender, previous?.escrow)) ? previous?.escrow : undefined;
  if (escrow === undefined) {
    const admin = options.admin ?? (await sender.address());
    escrow = await deployContract(sender, "AgoraSettlementEscrow", [
      token,
      admin,
      options.arbiter ?? admin,
    ]);
  }
  const deployment = { chainId: chainKey, token, escrow };
  await save(deployment);
  return deployment;
}

async function deployContract(
  sender: TransactionSender,
  name: SettlementContractName,
  args: readonly unknown[],
): Promise<string> {
  const artifact = await loadArtifact(name);
  const factory = new ContractFactory(artifact.abi as InterfaceAbi, artifact.bytecode);
  const request = await factory.getDeployTransaction(...args);
  const outcome = await sender.send({ label: `deploy ${name}`, request });
  const address = outcome.kind === "mined" ? outcome.receipt.contractAddress : null;
  if (address === null) {
    throw new AgoraError("internal", `Deployment of ${name} returned no contract address`);
  }
  return getAddress(address);
}

async function hasCode(sender: TransactionSender, address: string | undefined): Promise<boolean> {
  if (address === undefined) return false;
  const provider = sender.signer.provider;
  if (provider === null) return false;
  return (await provider.getCode(address)) !== "0x";
}

async function readRecord(file: string): Promise<DeploymentRecord> {
  try {
    return JSON.parse(await readFile(file, "utf8")) as DeploymentRecord;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return {};
    throw new AgoraError("invalid", "Unreadable deployment record", { detail: file, cause: error });
  }
}

/** Written to a temporary file first so a crash never leaves half a record. */
async function writeRecord(file: string, record: DeploymentRecord): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  const temporary = `${file}.tmp`;
  await writeFile(temporary, `${JSON.stringify(record, null, 2)}\n`);
  await rename(temporary, file);
}
