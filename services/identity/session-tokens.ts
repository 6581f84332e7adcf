import { randomUUID } from "node:crypto";
import { jwtVerify, SignJWT } from "jose";
import { AgoraError } from "../errors/agora-error.ts";
import { type Role, roleSchema } from "./roles.ts";

const issuer = "agora";
const audience = "agora-api";

export interface Session {
  /** Lower-case 0x address of the signed-in actor. */
  address: string;
  roles: readonly Role[];
  expiresAt: Date;
  /** Unique token id, for logs and revocation lists. */
  id: string;
}

/** Short-lived HS256 session tokens carrying the address and its roles. */
export class SessionTokens {
  readonly #key: Uint8Array;
  readonly #ttlSeconds: number;

  constructor(secret: Uint8Array, ttlSeconds: number) {
    if (secret.byteLength < 32) throw new Error("session secret must be at least 32 bytes");
    this.#key = secret;
    this.#ttlSeconds = ttlSeconds;
  }

  async issue(
    address: string,
    roles: readonly Role[],
  ): Promise<{ token: string; session: Session }> {
    const id = randomUUID();
    const now = Math.floor(Date.now() / 1000);
    const token = await new SignJWT({ roles: [...roles] })
      .setProtectedHeader({ alg: "HS256", typ: "JWT" })
      .setIssuer(issuer)
      .setAudience(audience)
      .setSubject(address.toLowerCase())
      .setJti(id)
      .setIssuedAt(now)
      .setExpirationTime(now + this.#ttlSeconds)
      .sign(this.#key);
    const session = {
      address: address.toLowerCase(),
      roles,
      expiresAt: new Date((now + this.#ttlSeconds) * 1000),
      id,
    };
    return { token, session };
  }

  /** Verifies signature, issuer, audience and expiry; any failure is a 401. */
  async verify(token: string): Promise<Session> {
    try {
      const { payload } = await jwtVerify(token, this.#key, {
        issuer,
        audience,
        algorithms: ["HS256"],
      });
      const roles = roleSchema.array().parse(payload.roles);
      if (payload.sub === undefined || payload.exp === undefined || payload.jti === undefined) {
        throw new Error("token lacks sub, exp or jti");
      }
      return {
        address: payload.sub,
        roles,
        expiresAt: new Date(payload.exp * 1000),
        id: payload.jti,
      };
    } catch (error) {
      const expired = (error as { code?: string }).code === "ERR_JWT_EXPIRED";
      throw new AgoraError("unauthorized", expired ? "Session expired" : "Invalid session token", {
        detail: expired ? "Sign in again." : "The bearer token could not be verified.",
        cause: error,
      });
    }
  }
}
