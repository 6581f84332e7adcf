import type { TypedDataDomain, TypedDataField } from "ethers";
import { AgoraError } from "../errors/agora-error.ts";
import { SignerKeys } from "./signer-keys.ts";
import type { SignerNonceRegistry } from "./signer-nonce-registry.ts";
import type { ReplayGuardedMessage } from "./typed-data.ts";
import { TypedDataDigest } from "./typed-data-digest.ts";

export interface TypedDataVerifierOptions {
  domain: TypedDataDomain;
  nonces: SignerNonceRegistry;
  now?: () => Date;
  /** Signers' public keys, to check signatures without recovering them. Default: a private cache. */
  keys?: SignerKeys;
}

/** A message that passed every check, with the EIP-712 digest it was signed over. */
export interface AcceptedMessage<T> {
  message: T;
  digest: string;
}

/**
 * Accepts an EIP-712 signed message once: the signature must recover to the
 * message's own `signer`, the message must not have expired, and its nonce
 * must be unused for that signer. The check order matters: the nonce is spent
 * only after everything else passed, so a forged message cannot burn a
 * legitimate signer's nonce.
 */
export class TypedDataVerifier {
  readonly #options: TypedDataVerifierOptions;
  readonly #digest: TypedDataDigest;
  readonly #keys: SignerKeys;
  readonly #scopePrefix: string;

  constructor(options: TypedDataVerifierOptions) {
    this.#options = options;
    this.#digest = new TypedDataDigest(options.domain);
    this.#keys = options.keys ?? new SignerKeys();
    this.#scopePrefix = `${options.domain.chainId}:${options.domain.verifyingContract}`;
  }

  async accept<T extends ReplayGuardedMessage>(
    types: Record<string, TypedDataField[]>,
    message: T,
    signature: string,
  ): Promise<T> {
    return (await this.acceptSigned(types, message, signature)).message;
  }

  /** As `accept`, and returns the digest too, so callers need not hash the message again. */
  async acceptSigned<T extends ReplayGuardedMessage>(
    types: Record<string, TypedDataField[]>,
    message: T,
    signature: string,
  ): Promise<AcceptedMessage<T>> {
    const primaryType = Object.keys(types)[0] ?? "message";
    let digest: string;
    let signed: boolean;
    try {
      digest = this.#digest.of(types, message as unknown as Record<string, unknown>);
      signed = this.#keys.isSignedBy(digest, signature, message.signer);
    } catch (error) {
      throw new AgoraError("unauthorized", "Bad signature", {
        detail: `The ${primaryType} signature is malformed.`,
        cause: error,
      });
    }
    if (!signed) {
      throw new AgoraError("unauthorized", "Bad signature", {
        detail: `The ${primaryType} was not signed by ${message.signer}.`,
      });
    }
    const now = (this.#options.now ?? (() => new Date()))();
    const expiresAt = new Date(Number(message.expiry) * 1000);
    if (expiresAt.getTime() <= now.getTime()) {
      throw new AgoraError("unauthorized", "Signed message expired", {
        detail: `The ${primaryType} expired at ${expiresAt.toISOString()}.`,
      });
    }
    const scope = `${this.#scopePrefix}:${primaryType}`;
    if (!(await this.#options.nonces.use(scope, message.signer, message.nonce, expiresAt))) {
      throw new AgoraError("conflict", "Nonce already used", {
        detail: `${message.signer} already used nonce ${message.nonce} for a ${primaryType}.`,
      });
    }
    return { message, digest };
  }
}
