import { z } from "zod";
import { agreementSigned } from "../../audit/audit-events.ts";
import { AgoraError, isAgoraError } from "../../errors/agora-error.ts";
import { type AgreementMessage, agreementTypes } from "../../identity/typed-data.ts";
import { taskIdHash } from "../bids/bid-attributes.ts";
import type { MarketServices } from "../market-services.ts";
import { specOf } from "../tasks/post-task.ts";
import { recordedTransition } from "../tasks/recorded-transition.ts";

const uintString = z.string().regex(/^\d{1,78}$/, "a decimal unsigned integer");
const bytes32 = z.string().regex(/^0x[0-9a-fA-F]{64}$/, "a 0x-prefixed 32-byte hex value");

export const signedAgreementSchema = z.object({
  message: z.object({
    taskId: bytes32,
    signer: z.string().regex(/^0x[0-9a-fA-F]{40}$/, "an address"),
    termsHash: bytes32,
    nonce: uintString,
    expiry: uintString,
  }),
  signature: z.string().regex(/^0x[0-9a-fA-F]{130}$/, "a 65-byte hex signature"),
});
export type SignedAgreement = z.infer<typeof signedAgreementSchema>;

/**
 * Step 4: the owner or the winning holder signs the proposed terms (EIP-712
 * `Agreement`). When both have signed, the agreement is stored and the
 * holder's privacy ledger is charged; when every winner's agreement is
 * complete the task becomes `agreed`.
 */
export async function signAgreement(
  market: MarketServices,
  caller: string,
  taskId: string,
  holderId: string,
  body: SignedAgreement,
) {
  const { repos } = market;
  const [task, proposal, holder] = await Promise.all([
    repos.tasks.get(taskId),
    repos.agreementProposals.get(taskId, holderId),
    repos.holders.get(holderId),
  ]);
  if (task.status !== "negotiating") {
    throw new AgoraError("conflict", "Task is not awaiting agreements", {
      detail: `Task ${taskId} is ${task.status}.`,
    });
  }
  const who = caller.toLowerCase();
  const party = who === task.ownerAddress ? "owner" : who === holder.address ? "holder" : undefined;
  if (party === undefined) {
    throw new AgoraError("forbidden", "Not a party to this agreement", {
      detail: `Only the task's owner and holder ${holderId} sign this agreement.`,
    });
  }
  const message: AgreementMessage = {
    taskId: body.message.taskId,
    signer: body.message.signer,
    termsHash: body.message.termsHash,
    nonce: BigInt(body.message.nonce),
    expiry: BigInt(body.message.expiry),
  };
  if (message.signer.toLowerCase() !== who) {
    throw new AgoraError("forbidden", "Agreement signer is not the caller", {
      detail: `Signed for ${message.signer}.`,
    });
  }
  if (
    message.taskId.toLowerCase() !== taskIdHash(taskId) ||
    message.termsHash.toLowerCase() !== proposal.termsHash
  ) {
    throw new AgoraError("invalid", "Signed terms differ from the proposal", {
      issues: [
        {
          pointer: "/message/termsHash",
          message: `must be ${proposal.termsHash} for task ${taskId}`,
        },
      ],
    });
  }
  await market.verifier.accept(agreementTypes, message, body.signature);
  const { complete } = await repos.transaction(async (trx) => {
    const signed = await trx.agreementProposals.sign(taskId, holderId, party, body.signature);
    await trx.audit.append(
      ...agreementSigned({
        taskId,
        holderId,
        party,
        signer: who,
        termsHash: proposal.termsHash,
        terms: proposal.terms,
        price: proposal.price,
        signature: body.signature,
        complete: signed.complete,
      }),
    );
    return signed;
  });
  if (complete) {
    const spec = specOf(task);
    await market.privacyLedger.charge(holderId, {
      taskId,
      epsilon: spec.privacy.epsilon,
      delta: spec.privacy.delta,
    });
    if ((await repos.agreementProposals.unsignedCount(taskId)) === 0) {
      try {
        await recordedTransition(repos, task, "agreed", who);
      } catch (error) {
        // Two last signatures may race: whoever moved the task first wins, the other is fine.
        if (!(isAgoraError(error) && error.kind === "conflict")) throw error;
      }
    }
  }
  return { taskId, holderId, party, complete, termsHash: proposal.termsHash };
}
