import { parseCookie } from "cookie";
import type { NextFunction, Request, Response } from "express";
import { AgoraError } from "../errors/agora-error.ts";
import type { Role } from "../identity/roles.ts";
import type { Session } from "../identity/session-tokens.ts";
import type { ApiDependencies } from "./dependencies.ts";

/** Browsers carry the session in this HttpOnly cookie; scripts send `Authorization: Bearer`. */
export const sessionCookieName = "agora_session";

function tokenOf(req: Request): string | undefined {
  const header = req.get("authorization");
  if (header !== undefined) {
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (match?.[1] === undefined) {
      throw new AgoraError("unauthorized", "Malformed Authorization header", {
        detail: "Use `Authorization: Bearer <token>`.",
      });
    }
    return match[1];
  }
  const cookieHeader = req.get("cookie");
  return cookieHeader === undefined ? undefined : parseCookie(cookieHeader)[sessionCookieName];
}

/**
 * Verifies the caller's session and that it holds one of `roles`.
 * No or bad token → 401; a valid token without the role → 403.
 */
export async function authenticate(
  req: Request,
  deps: ApiDependencies,
  roles: readonly Role[],
): Promise<Session> {
  const token = tokenOf(req);
  if (token === undefined) {
    throw new AgoraError("unauthorized", "Sign-in required", {
      detail: "Sign in with Ethereum at POST /auth/login and send the token.",
    });
  }
  const session = await deps.sessions.verify(token);
  if (roles.length > 0 && !roles.some((role) => session.roles.includes(role))) {
    throw new AgoraError("forbidden", "Missing role", {
      detail: `This operation needs the role ${roles.join(" or ")}; the session has ${session.roles.join(", ") || "none"}.`,
    });
  }
  return session;
}

/** The same check as Express middleware, for mounted sub-apps such as Bull Board. */
export const requireRole =
  (deps: ApiDependencies, roles: readonly Role[]) =>
  (req: Request, _res: Response, next: NextFunction) => {
    authenticate(req, deps, roles).then(() => next(), next);
  };
