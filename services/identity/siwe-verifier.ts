import { SiweMessage } from "siwe";
import { AgoraError } from "../errors/agora-error.ts";
import type { NonceStore } from "./nonce-store.ts";
import { type Role, type RoleResolver, roleResourcePrefix, roleSchema } from "./roles.ts";

export interface SiweVerifierOptions {
  /** RFC 4501 authority the message must name, e.g. `agora.example:8080`. */
  domain: string;
  chainId: number;
  nonces: NonceStore;
  roles: RoleResolver;
  /** Oldest `issuedAt` accepted when the message sets no expiry, in seconds. Default 300. */
  maxAgeSeconds?: number;
  now?: () => Date;
}

export interface VerifiedSignIn {
  address: string;
  roles: readonly Role[];
}

const unauthorized = (title: string, detail: string, cause?: unknown) =>
  new AgoraError("unauthorized", title, { detail, cause });

/**
 * Sign-In with Ethereum (EIP-4361). Checks, in order: the message parses; it
 * names our domain and chain; it is within its validity window; the signature
 * recovers to its address; its nonce was issued by us and is unused (consumed
 * here, so a replay fails). Then grants the roles asked for in `resources`
 * (all allowed ones if none are asked for).
 */
export class SiweVerifier {
  readonly #options: SiweVerifierOptions;

  constructor(options: SiweVerifierOptions) {
    this.#options = options;
  }

  async verify(messageText: string, signature: string): Promise<VerifiedSignIn> {
    const { domain, chainId, nonces } = this.#options;
    const now = (this.#options.now ?? (() => new Date()))();

    let message: SiweMessage;
    try {
      message = new SiweMessage(messageText);
    } catch (error) {
      throw new AgoraError("invalid", "Malformed sign-in message", {
        detail: "The message is not a valid EIP-4361 message.",
        cause: error,
      });
    }
    if (message.domain !== domain) {
      throw unauthorized(
        "Wrong sign-in domain",
        `The message is for ${message.domain}, not ${domain}.`,
      );
    }
    if (message.chainId !== chainId) {
      throw unauthorized(
        "Wrong chain",
        `The message names chain ${message.chainId}, not ${chainId}.`,
      );
    }
    const maxAgeMs = (this.#options.maxAgeSeconds ?? 300) * 1000;
    if (message.expirationTime === undefined && message.issuedAt !== undefined) {
      if (now.getTime() - Date.parse(message.issuedAt) > maxAgeMs) {
        throw unauthorized(
          "Sign-in message expired",
          "The message is too old; request a new nonce.",
        );
      }
    }

    const result = await message.verify(
      { signature, domain, nonce: message.nonce, time: now.toISOString() },
      { suppressExceptions: true },
    );
    if (!result.success) {
      const reason = result.error?.type ?? "unknown";
      const title = reason.startsWith("Expired")
        ? "Sign-in message expired"
        : reason.startsWith("Message is not valid yet")
          ? "Sign-in message not yet valid"
          : reason.startsWith("Signature")
            ? "Bad signature"
            : "Sign-in rejected";
      throw unauthorized(title, reason);
    }

    if (!(await nonces.consume(message.nonce))) {
      throw unauthorized("Nonce already used or unknown", "Request a new nonce and sign again.");
    }

    const address = message.address.toLowerCase();
    const allowed = await this.#options.roles.allowedRoles(address);
    const requested = requestedRoles(message.resources ?? []);
    if (requested.length === 0) return { address, roles: allowed };
    const refused = requested.filter((role) => !allowed.includes(role));
    if (refused.length > 0) {
      throw new AgoraError("forbidden", "Role not granted", {
        detail: `${address} may not act as ${refused.join(", ")}.`,
      });
    }
    return { address, roles: requested };
  }
}

function requestedRoles(resources: readonly string[]): Role[] {
  const roles = new Set<Role>();
  for (const resource of resources) {
    if (!resource.startsWith(roleResourcePrefix)) continue;
    const parsed = roleSchema.safeParse(resource.slice(roleResourcePrefix.length));
    if (!parsed.success) {
      throw new AgoraError("invalid", "Unknown role requested", { detail: resource });
    }
    roles.add(parsed.data);
  }
  return [...roles];
}
