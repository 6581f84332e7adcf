import { randomUUID } from "node:crypto";
import { z } from "zod";
import { AgoraError } from "../../errors/agora-error.ts";
import { type BidMessage, bidTypes } from "../../identity/typed-data.ts";
import type { TypedDataVerifier } from "../../identity/typed-data-verifier.ts";
import type { BidRecord } from "../../store/repositories/bids-repository.ts";
import type { MarketRepositories } from "../market-repositories.ts";
import { attributesHash, taskIdHash } from "./bid-attributes.ts";
import type { BidGroupCommit } from "./bid-group-commit.ts";
import type { RegisteredHolders } from "./registered-holders.ts";

const uintString = z.string().regex(/^\d{1,78}$/, "a decimal unsigned integer");
const bytes32 = z.string().regex(/^0x[0-9a-fA-F]{64}$/, "a 0x-prefixed 32-byte hex value");

/** A bid as a holder sends it: the EIP-712 message, its signature and the attributes it commits to. */
export const signedBidSchema = z.object({
  message: z.object({
    taskId: bytes32,
    signer: z.string().regex(/^0x[0-9a-fA-F]{40}$/, "an address"),
    price: uintString,
    samples: uintString,
    modelTier: z.int().min(0).max(255),
    epsilonMicros: uintString,
    throughputMilli: uintString,
    attributesHash: bytes32,
    nonce: uintString,
    expiry: uintString,
  }),
  signature: z.string().regex(/^0x[0-9a-fA-F]{130}$/, "a 65-byte hex signature"),
  attributes: z.object({
    labelCoverage: z.record(z.string().min(1).max(64), z.number().min(0).max(1)),
    availableFrom: z.iso.datetime(),
    availableUntil: z.iso.datetime(),
  }),
});
export type SignedBid = z.infer<typeof signedBidSchema>;

export interface SubmitBidDeps {
  repos: MarketRepositories;
  verifier: TypedDataVerifier;
  bidWrites: BidGroupCommit;
  registeredHolders: RegisteredHolders;
}

const toBidMessage = (message: SignedBid["message"]): BidMessage => ({
  taskId: message.taskId,
  signer: message.signer,
  price: BigInt(message.price),
  samples: BigInt(message.samples),
  modelTier: message.modelTier,
  epsilonMicros: BigInt(message.epsilonMicros),
  throughputMilli: BigInt(message.throughputMilli),
  attributesHash: message.attributesHash,
  nonce: BigInt(message.nonce),
  expiry: BigInt(message.expiry),
});

/**
 * Accepts a holder's signed bid for a task that is taking bids. Cheap checks
 * first (who signs, which task, what the signature commits to), then the task
 * and holder lookups, then the signature (which spends the nonce only once
 * everything else passed), then the row, which is durable when this
 * resolves (written with concurrent bids in one commit: `BidGroupCommit`).
 * The digest is computed once, by the verifier. A replayed bid is refused by
 * the nonce and again by the unique digest.
 */
export async function submitBid(
  deps: SubmitBidDeps,
  caller: string,
  taskId: string,
  bid: SignedBid,
): Promise<BidRecord> {
  const message = toBidMessage(bid.message);
  if (message.signer.toLowerCase() !== caller.toLowerCase()) {
    throw new AgoraError("forbidden", "Bid signer is not the caller", {
      detail: `The bid is signed for ${message.signer}; the session is ${caller}.`,
    });
  }
  if (message.taskId.toLowerCase() !== taskIdHash(taskId)) {
    throw new AgoraError("invalid", "Bid is for another task", {
      issues: [{ pointer: "/message/taskId", message: `must be keccak256("${taskId}")` }],
    });
  }
  if (message.attributesHash.toLowerCase() !== attributesHash(bid.attributes)) {
    throw new AgoraError("invalid", "Attributes do not match the signed hash", {
      issues: [
        { pointer: "/message/attributesHash", message: "must commit to the attributes sent" },
      ],
    });
  }
  const availableFrom = new Date(bid.attributes.availableFrom);
  const availableUntil = new Date(bid.attributes.availableUntil);
  if (availableUntil <= availableFrom) {
    throw new AgoraError("invalid", "Empty availability window", {
      issues: [{ pointer: "/attributes/availableUntil", message: "must be after availableFrom" }],
    });
  }
  if (message.samples < 1n || message.samples > 1_000_000_000n) {
    throw new AgoraError("invalid", "Sample count out of range", {
      issues: [{ pointer: "/message/samples", message: "must be between 1 and 10^9" }],
    });
  }
  const [task, holderId] = await Promise.all([
    deps.repos.tasks.get(taskId),
    deps.registeredHolders.idOf(caller),
  ]);
  if (task.status !== "bidding") {
    throw new AgoraError("conflict", "Task is not taking bids", {
      detail: `Task ${taskId} is ${task.status}; bids are taken only while it is bidding (after funding).`,
    });
  }
  if (holderId === undefined) {
    throw new AgoraError("forbidden", "Not a registered holder", {
      detail: `Register ${caller} as a holder (POST /holders) before bidding.`,
    });
  }
  const { digest } = await deps.verifier.acceptSigned(bidTypes, message, bid.signature);
  return deps.bidWrites.write({
    id: `bid-${randomUUID()}`,
    taskId,
    holderId,
    price: message.price,
    samples: Number(message.samples),
    labelCoverage: bid.attributes.labelCoverage,
    throughput: Number(message.throughputMilli) / 1000,
    modelTier: message.modelTier,
    epsilonCost: Number(message.epsilonMicros) / 1_000_000,
    availableFrom,
    availableUntil,
    signerNonce: message.nonce,
    signature: bid.signature,
    digest,
  });
}
