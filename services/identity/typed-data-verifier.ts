import { type TypedDataDomain, type TypedDataField, verifyTypedData } from "ethers";
import { AgoraError } from "../errors/agora-error.ts";
import type { SignerNonceRegistry } from "./signer-nonce-registry.ts";
import type { ReplayGuardedMessage } from "./typed-data.ts";

export interface TypedDataVerifierOptions {
  domain: TypedDataDomain;
  nonces: SignerNonceRegistry;
  now?: () => Date;
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

  constructor(options: TypedDataVerifierOptions) {
    this.#options = options;
  }

  async accept<T extends ReplayGuardedMessage>(
    types: Record<string, TypedDataField[]>,
    message: T,
    signature: string,
  ): Promise<T> {
    const primaryType = Object.keys(types)[0] ?? "message";
    let recovered: string;
    try {
      recovered = verifyTypedData(this.#options.domain, types, message, signature);
    } catch (error) {
      throw new AgoraError("unauthorized", "Bad signature", {
        detail: `The ${primaryType} signature is malformed.`,
        cause: error,
      });
    }
    if (recovered.toLowerCase() !== message.signer.toLowerCase()) {
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
    const scope = `${this.#options.domain.chainId}:${this.#options.domain.verifyingContract}:${primaryType}`;
    if (!(await this.#options.nonces.use(scope, message.signer, message.nonce, expiresAt))) {
      throw new AgoraError("conflict", "Nonce already used", {
        detail: `${message.signer} already used nonce ${message.nonce} for a ${primaryType}.`,
      });
    }
    return message;
  }
}
