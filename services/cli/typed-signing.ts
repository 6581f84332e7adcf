import { randomBytes } from "node:crypto";
import type { BaseWallet, TypedDataDomain, TypedDataField } from "ethers";
import { attributesHash, taskIdHash } from "../market/bids/bid-attributes.ts";
import type { AgoraApiClient } from "./api-client.ts";

/** What GET /market/domain answers: the domain to sign in and the struct types. */
export interface MarketDomain {
  domain: TypedDataDomain;
  types: { bid: Record<string, TypedDataField[]>; agreement: Record<string, TypedDataField[]> };
}

/** How long a signature stays valid; the API refuses it after this (replay protection). */
export const signatureTtlS = 600;

export const fetchMarketDomain = (client: AgoraApiClient): Promise<MarketDomain> =>
  client.get<MarketDomain>("/market/domain");

/** A fresh 128-bit nonce: the API spends each (signer, nonce) once. */
const freshNonce = (): string => BigInt(`0x${randomBytes(16).toString("hex")}`).toString();
const expiryIn = (seconds: number): string => String(Math.floor(Date.now() / 1000) + seconds);

/** The bid terms a holder commits to; integers are decimal strings as the API expects. */
export interface BidTerms {
  price: string;
  samples: number;
  modelTier: number;
  epsilon: number;
  throughput: number;
  labelCoverage: Record<string, number>;
  availableFrom: string;
  availableUntil: string;
}

/** Builds and signs the EIP-712 `Bid`, in the body shape POST /tasks/:taskId/bids takes. */
export async function signBid(
  wallet: BaseWallet,
  market: MarketDomain,
  taskId: string,
  terms: BidTerms,
) {
  const attributes = {
    labelCoverage: terms.labelCoverage,
    availableFrom: terms.availableFrom,
    availableUntil: terms.availableUntil,
  };
  const message = {
    taskId: taskIdHash(taskId),
    signer: wallet.address,
    price: terms.price,
    samples: String(terms.samples),
    modelTier: terms.modelTier,
    // The struct holds integers: ε in millionths, throughput in thousandths.
    epsilonMicros: String(Math.round(terms.epsilon * 1_000_000)),
    throughputMilli: String(Math.round(terms.throughput * 1000)),
    attributesHash: attributesHash(attributes),
    nonce: freshNonce(),
    expiry: expiryIn(signatureTtlS),
  };
  const signature = await wallet.signTypedData(market.domain, market.types.bid, message);
  return { message, signature, attributes };
}

/** Signs the EIP-712 `Agreement` over the proposal's terms hash, as POST …/signatures takes it. */
export async function signAgreement(
  wallet: BaseWallet,
  market: MarketDomain,
  taskId: string,
  termsHash: string,
) {
  const message = {
    taskId: taskIdHash(taskId),
    signer: wallet.address,
    termsHash,
    nonce: freshNonce(),
    expiry: expiryIn(signatureTtlS),
  };
  const signature = await wallet.signTypedData(market.domain, market.types.agreement, message);
  return { message, signature };
}
