import { z } from "zod";
import { AgoraError } from "../../errors/agora-error.ts";
import type { PayoutTree } from "./payout-tree.ts";

const hex32 = z.string().regex(/^0x[0-9a-fA-F]{64}$/);
const decimal = z.string().regex(/^\d+$/);

/** One holder's claim as served to it: everything `claim` needs. Amounts are decimal strings. */
export const holderClaimSchema = z.object({
  index: decimal,
  amount: decimal,
  proof: z.array(hex32),
});

/**
 * The document served to holders of one task: the root they can check on chain, and each
 * account's claim. JSON-safe (no bigint), keyed by checksummed account.
 */
export const holderClaimsSchema = z.object({
  format: z.literal("agora-payout-claims-v1"),
  taskId: decimal,
  escrow: z.string().regex(/^0x[0-9a-fA-F]{40}$/),
  chainId: decimal,
  root: hex32,
  total: decimal,
  claims: z.record(z.string(), holderClaimSchema),
});

export type HolderClaim = z.infer<typeof holderClaimSchema>;
export type HolderClaims = z.infer<typeof holderClaimsSchema>;

/** Where a tree was committed, so holders know which contract and task to claim from. */
export interface ClaimsLocation {
  taskId: bigint;
  escrow: string;
  chainId: bigint;
}

/** Builds the holders' claims document of a committed tree. */
export function holderClaimsOf(tree: PayoutTree, location: ClaimsLocation): HolderClaims {
  const claims: Record<string, HolderClaim> = {};
  for (const leaf of tree.allProofs()) {
    claims[leaf.account] = {
      index: leaf.index.toString(),
      amount: leaf.amount.toString(),
      proof: leaf.proof,
    };
  }
  return {
    format: "agora-payout-claims-v1",
    taskId: location.taskId.toString(),
    escrow: location.escrow,
    chainId: location.chainId.toString(),
    root: tree.root,
    total: tree.total.toString(),
    claims,
  };
}

/**
 * Reads a claims document received from elsewhere (file, HTTP).
 *
 * @throws AgoraError `invalid` when it does not match the schema.
 */
export function parseHolderClaims(input: unknown): HolderClaims {
  const parsed = holderClaimsSchema.safeParse(input);
  if (!parsed.success) {
    throw new AgoraError("invalid", "Invalid payout claims document", {
      issues: parsed.error.issues.map((issue) => ({
        pointer: `/${issue.path.map(String).join("/")}`,
        message: issue.message,
      })),
    });
  }
  return parsed.data;
}
