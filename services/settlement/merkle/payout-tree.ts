import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { getAddress } from "ethers";
import { AgoraError } from "../../errors/agora-error.ts";
import { checkPayoutTable, type PayoutRow } from "./payout-table.ts";

/**
 * The leaf encoding the escrow contract hashes: `(uint256 index, address account, uint256 amount)`,
 * double-hashed as the `@openzeppelin/merkle-tree` standard format prescribes.
 */
export const PAYOUT_LEAF_ENCODING = ["uint256", "address", "uint256"] as const;

/** A leaf's values as the tree stores them: decimal strings keep the dump valid JSON. */
type LeafValues = [index: string, account: string, amount: string];

/** What a holder needs to claim: its leaf and the proof of it. */
export interface PayoutProof {
  index: bigint;
  account: string;
  amount: bigint;
  proof: string[];
}

/** A payout table committed to by one Merkle root. */
export interface PayoutTree {
  readonly root: string;
  readonly total: bigint;
  readonly leafCount: number;
  /** The proof of leaf `index`. */
  proofAt(index: number): PayoutProof;
  /** The proof of `account`'s leaf, or undefined if it is not paid by this table. */
  proofFor(account: string): PayoutProof | undefined;
  /** Every leaf with its proof, in leaf order. */
  allProofs(): PayoutProof[];
  /** The tree in the library's `standard-v1` JSON format, loadable by `loadPayoutTree`. */
  dump(): PayoutTreeDump;
}

/** The `@openzeppelin/merkle-tree` standard dump of a payout tree. */
export type PayoutTreeDump = ReturnType<StandardMerkleTree<LeafValues>["dump"]>;

/** Builds the payout tree of a table; leaf `i` pays `rows[i]`. */
export function buildPayoutTree(rows: readonly PayoutRow[]): PayoutTree {
  const table = checkPayoutTable(rows);
  const values: LeafValues[] = table.rows.map((row, index) => [
    String(index),
    row.account,
    row.amount.toString(),
  ]);
  return wrap(StandardMerkleTree.of(values, [...PAYOUT_LEAF_ENCODING]), table.total);
}

/**
 * Loads a dumped tree, recomputing every hash, so a tampered dump is rejected rather than served.
 *
 * @throws AgoraError `invalid` if the dump is not a well-formed payout tree.
 */
export function loadPayoutTree(dump: PayoutTreeDump): PayoutTree {
  if (
    dump.format !== "standard-v1" ||
    dump.leafEncoding.join(",") !== PAYOUT_LEAF_ENCODING.join(",")
  ) {
    throw new AgoraError("invalid", "Not a payout tree", {
      detail: "expected a standard-v1 tree with leaves (uint256, address, uint256)",
    });
  }
  let tree: StandardMerkleTree<LeafValues>;
  try {
    tree = StandardMerkleTree.load(dump);
    tree.validate();
  } catch (cause) {
    throw new AgoraError("invalid", "Corrupt payout tree", { detail: String(cause), cause });
  }
  const rows = [...tree.entries()]
    .sort(([, a], [, b]) => Number(a[0]) - Number(b[0]))
    .map(([, [, account, amount]]) => ({ account, amount: BigInt(amount) }));
  const total = checkPayoutTable(rows).total;
  return wrap(tree, total);
}

function wrap(tree: StandardMerkleTree<LeafValues>, total: bigint): PayoutTree {
  // The library orders leaves by hash; map each payout index to its position in the tree.
  const positionByIndex = new Map<number, number>();
  const indexByAccount = new Map<string, number>();
  for (const [position, [index, account]] of tree.entries()) {
    positionByIndex.set(Number(index), position);
    indexByAccount.set(account, Number(index));
  }
  const proofAt = (index: number): PayoutProof => {
    const position = positionByIndex.get(index);
    if (position === undefined) {
      throw new AgoraError("not_found", "No such payout leaf", {
        detail: `leaf ${index} is not in the tree`,
      });
    }
    const [leafIndex, account, amount] = tree.at(position) as LeafValues;
    return {
      index: BigInt(leafIndex),
      account,
      amount: BigInt(amount),
      proof: tree.getProof(position),
    };
  };
  return {
    root: tree.root,
    total,
    leafCount: positionByIndex.size,
    proofAt,
    proofFor(account) {
      const index = indexByAccount.get(getAddress(account));
      return index === undefined ? undefined : proofAt(index);
    },
    allProofs() {
      return Array.from({ length: positionByIndex.size }, (_, index) => proofAt(index));
    },
    dump: () => tree.dump(),
  };
}
