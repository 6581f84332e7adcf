import type { PayoutClaim } from "../settlement/chain/escrow-types.ts";

/** `GET /tasks/:id/payouts/:holder/proof`: what the escrow needs to pay one leaf. */
export interface PayoutProofView {
  leaf: { index: string; account: string; amount: string };
  proof: string[];
  root: string;
  escrow: string;
  chainId: string;
  chainTaskId: string;
}

/** The proof as the escrow's `claim` takes it: the API's decimal strings as integers. */
export function claimLeafOf(proof: PayoutProofView): PayoutClaim {
  return {
    index: BigInt(proof.leaf.index),
    account: proof.leaf.account,
    amount: BigInt(proof.leaf.amount),
    proof: proof.proof,
  };
}
