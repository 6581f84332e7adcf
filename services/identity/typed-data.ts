import type { TypedDataDomain, TypedDataField } from "ethers";

/**
 * EIP-712 structures that Agora's actors sign. The domain binds every
 * signature to this protocol version, one chain and one escrow contract, so a
 * bid signed for a test deployment is worthless on another. Each struct carries
 * the signer, a per-signer nonce and an expiry: see `TypedDataVerifier`.
 */
export const protocolName = "Agora";
export const protocolVersion = "1";

export function agoraDomain(chainId: number | bigint, verifyingContract: string): TypedDataDomain {
  return { name: protocolName, version: protocolVersion, chainId, verifyingContract };
}

/**
 * A holder's sealed offer for one task. Amounts are minor units of the task's
 * currency; epsilon is in millionths so that it is an integer.
 */
export const bidTypes = {
  Bid: [
    { name: "taskId", type: "bytes32" },
    { name: "signer", type: "address" },
    { name: "price", type: "uint256" },
    { name: "samples", type: "uint64" },
    { name: "modelTier", type: "uint8" },
    { name: "epsilonMicros", type: "uint64" },
    { name: "throughputMilli", type: "uint64" },
    { name: "attributesHash", type: "bytes32" },
    { name: "nonce", type: "uint256" },
    { name: "expiry", type: "uint64" },
  ],
} satisfies Record<string, TypedDataField[]>;

/** One party's consent to the agreed terms, whose canonical hash is `termsHash`. */
export const agreementTypes = {
  Agreement: [
    { name: "taskId", type: "bytes32" },
    { name: "signer", type: "address" },
    { name: "termsHash", type: "bytes32" },
    { name: "nonce", type: "uint256" },
    { name: "expiry", type: "uint64" },
  ],
} satisfies Record<string, TypedDataField[]>;

export interface BidMessage {
  taskId: string;
  signer: string;
  price: bigint;
  samples: bigint;
  modelTier: number;
  epsilonMicros: bigint;
  throughputMilli: bigint;
  attributesHash: string;
  nonce: bigint;
  expiry: bigint;
}

export interface AgreementMessage {
  taskId: string;
  signer: string;
  termsHash: string;
  nonce: bigint;
  expiry: bigint;
}

/** The fields every Agora typed message has, which replay protection relies on. */
export interface ReplayGuardedMessage {
  signer: string;
  nonce: bigint;
  /** Unix seconds after which the signature is void. */
  expiry: bigint;
}
