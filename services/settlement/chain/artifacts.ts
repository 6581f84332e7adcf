import { readFile } from "node:fs/promises";
import { AgoraError } from "../../errors/agora-error.ts";

/** The parts of a Hardhat artifact the chain client needs. */
export interface ContractArtifact {
  contractName: string;
  abi: readonly unknown[];
  bytecode: string;
}

/** Contracts the settlement client deploys or talks to, by source file. */
const sourceOf = {
  AgoraSettlementEscrow: "contracts/AgoraSettlementEscrow.sol",
  AgoraTestStablecoin: "contracts/AgoraTestStablecoin.sol",
  PushPayoutBaseline: "contracts/test/mocks/PushPayoutBaseline.sol",
  ReentrantToken: "contracts/test/mocks/ReentrantToken.sol",
} as const;

export type SettlementContractName = keyof typeof sourceOf;

const repositoryRoot = new URL("../../../", import.meta.url);
const cache = new Map<string, Promise<ContractArtifact>>();

/**
 * Reads a compiled contract from Hardhat's `artifacts/` folder (written by `hardhat build`), so the
 * client runs without loading Hardhat itself, e.g. against a real chain.
 *
 * @throws AgoraError `unavailable` when the contracts have not been built.
 */
export function loadArtifact(name: SettlementContractName): Promise<ContractArtifact> {
  let pending = cache.get(name);
  if (pending === undefined) {
    pending = readArtifact(name);
    cache.set(name, pending);
    pending.catch(() => cache.delete(name));
  }
  return pending;
}

async function readArtifact(name: SettlementContractName): Promise<ContractArtifact> {
  const file = new URL(`artifacts/${sourceOf[name]}/${name}.json`, repositoryRoot);
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (cause) {
    throw new AgoraError("unavailable", "Contracts are not built", {
      detail: `missing artifact for ${name}; run \`./dev compile\``,
      cause,
    });
  }
  const artifact = JSON.parse(text) as ContractArtifact;
  return { contractName: artifact.contractName, abi: artifact.abi, bytecode: artifact.bytecode };
}
