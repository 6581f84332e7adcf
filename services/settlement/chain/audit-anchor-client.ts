import { readFile } from "node:fs/promises";
import { Contract, ContractFactory, getAddress, Interface, type InterfaceAbi } from "ethers";
import { AgoraError } from "../../errors/agora-error.ts";
import type { ContractArtifact } from "./artifacts.ts";
import { ZERO_HASH } from "./escrow-types.ts";
import type { SendOutcome, TransactionSender } from "./transaction-sender.ts";

/** One anchored audit-log head, as `AgoraAuditAnchor` stores it. */
export interface AuditAnchor {
  /** Position in the on-chain record, oldest first. */
  index: number;
  /** 0x-prefixed hash of the log's last entry at the time. */
  head: string;
  /** How many entries the log held, up to and including `head`'s entry. */
  entryCount: number;
  /** Block time of the anchor, unix seconds. */
  anchoredAt: number;
}

const artifactFile = new URL(
  "../../../artifacts/contracts/AgoraAuditAnchor.sol/AgoraAuditAnchor.json",
  import.meta.url,
);

let artifact: Promise<ContractArtifact> | undefined;

/** The compiled anchor contract, read once from Hardhat's artifacts. */
function loadAnchorArtifact(): Promise<ContractArtifact> {
  artifact ??= readFile(artifactFile, "utf8").then(
    (text) => JSON.parse(text) as ContractArtifact,
    (cause: unknown) => {
      artifact = undefined;
      throw new AgoraError("unavailable", "Contracts are not built", {
        detail: "missing artifact for AgoraAuditAnchor; run `./dev compile`",
        cause,
      });
    },
  );
  return artifact;
}

/**
 * Deploys an `AgoraAuditAnchor`; the sender becomes its admin and, unless another account is named,
 * its anchorer.
 */
export async function deployAuditAnchor(
  sender: TransactionSender,
  anchorer?: string,
): Promise<string> {
  const { abi, bytecode } = await loadAnchorArtifact();
  const admin = await sender.address();
  const request = await new ContractFactory(abi as InterfaceAbi, bytecode).getDeployTransaction(
    admin,
    anchorer ?? admin,
  );
  const outcome = await sender.send({ label: "deploy AgoraAuditAnchor", request });
  const address = outcome.kind === "mined" ? outcome.receipt.contractAddress : null;
  if (address === null) {
    throw new AgoraError("internal", "Deployment of AgoraAuditAnchor returned no contract address");
  }
  return getAddress(address);
}

/** The raw struct as ethers decodes it. */
interface RawAnchor {
  head: string;
  entryCount: bigint;
  anchoredAt: bigint;
}

/**
 * Typed access to one deployed `AgoraAuditAnchor`. Reads go to the provider; `anchor` goes through a
 * `TransactionSender` and first checks whether the same head is already the latest anchor, so a
 * retried anchoring never appends twice.
 */
export class AuditAnchorClient {
  readonly address: string;
  readonly interface: Interface;
  private readonly contract: Contract;
  private readonly sender: TransactionSender;

  private constructor(address: string, abi: InterfaceAbi, sender: TransactionSender) {
    this.address = getAddress(address);
    this.interface = new Interface(abi);
    this.contract = new Contract(this.address, this.interface, sender.signer);
    this.sender = sender;
  }

  static async at(address: string, sender: TransactionSender): Promise<AuditAnchorClient> {
    const { abi } = await loadAnchorArtifact();
    return new AuditAnchorClient(address, abi as InterfaceAbi, sender);
  }

  async count(): Promise<number> {
    return Number((await this.contract.getFunction("anchorCount")()) as bigint);
  }

  async at(index: number): Promise<AuditAnchor> {
    const raw = (await this.contract.getFunction("anchorAt")(index)) as RawAnchor;
    return toAnchor(index, raw);
  }

  /** The newest anchor, or undefined when nothing was anchored yet. */
  async latest(): Promise<AuditAnchor | undefined> {
    const count = await this.count();
    return count === 0 ? undefined : this.at(count - 1);
  }

  /**
   * Appends `(head, entryCount)`. A no-op when the latest anchor already holds this head, so a
   * retry after a lost receipt, or a second anchorer racing this one, changes nothing.
   *
   * @throws AgoraError `conflict` when the contract refuses it (a count that does not grow).
   */
  anchor(head: string, entryCount: number): Promise<SendOutcome> {
    const head32 = asBytes32(head);
    if (head32 === ZERO_HASH) throw new AgoraError("invalid", "An anchor needs a non-zero head");
    return this.sender.send({
      label: "anchor audit head",
      request: {
        to: this.address,
        data: this.interface.encodeFunctionData("anchor", [head32, entryCount]),
      },
      alreadyApplied: async () => (await this.latest())?.head === head32,
      errorInterface: this.interface,
    });
  }
}

/** The audit log's sha-256 hex hashes as the contract's bytes32, lower-case. */
export function asBytes32(hash: string): string {
  const hex = hash.startsWith("0x") ? hash.slice(2) : hash;
  if (!/^[0-9a-fA-F]{64}$/.test(hex)) {
    throw new AgoraError("invalid", "Not a 32-byte hash", { detail: hash });
  }
  return `0x${hex.toLowerCase()}`;
}

function toAnchor(index: number, raw: RawAnchor): AuditAnchor {
  return {
    index,
    head: raw.head.toLowerCase(),
    entryCount: Number(raw.entryCount),
    anchoredAt: Number(raw.anchoredAt),
  };
}
