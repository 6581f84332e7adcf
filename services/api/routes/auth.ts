import { stringifySetCookie } from "cookie";
import { z } from "zod";
import { roleSchema } from "../../identity/roles.ts";
import { sessionCookieName } from "../authenticate.ts";
import { defineRoute } from "../route.ts";

const nonceResponse = z.object({
  nonce: z.string(),
  expiresAt: z.iso.datetime(),
  domain: z.string().describe("The SIWE `domain` the message must name"),
  uri: z.string().describe("The SIWE `uri` to use"),
  chainId: z.number().int(),
});

const loginBody = z.object({
  message: z.string().min(1).max(4_096).describe("EIP-4361 message text"),
  signature: z.string().regex(/^0x[0-9a-fA-F]+$/, "a 0x-prefixed hex signature"),
});

const sessionResponse = z.object({
  address: z.string(),
  roles: z.array(roleSchema),
  expiresAt: z.iso.datetime(),
});

const loginResponse = sessionResponse.extend({ token: z.string() });

export const authRoutes = [
  defineRoute({
    method: "get",
    path: "/auth/nonce",
    operationId: "issueNonce",
    summary: "Issue a single-use nonce for a Sign-In with Ethereum message",
    tag: "auth",
    responses: { 200: { description: "A fresh nonce", schema: nonceResponse } },
    handle: async ({ deps }) => {
      const { nonce, expiresAt } = await deps.nonces.issue();
      return {
        status: 200,
        body: {
          nonce,
          expiresAt: expiresAt.toISOString(),
          domain: deps.publicUrl.host,
          uri: deps.publicUrl.origin,
          chainId: deps.config.AGORA_CHAIN_ID,
        },
        headers: { "cache-control": "no-store" },
      };
    },
  }),
  defineRoute({
    method: "post",
    path: "/auth/login",
    operationId: "login",
    summary:
      "Exchange a signed SIWE message for a session token (roles requested as urn:agora:role:<role> resources)",
    tag: "auth",
    body: loginBody,
    responses: { 200: { description: "Signed in", schema: loginResponse } },
    handle: async ({ body, deps }) => {
      const verified = await deps.siwe.verify(body.message, body.signature);
      const { token, session } = await deps.sessions.issue(verified.address, verified.roles);
      const cookie = stringifySetCookie({
        name: sessionCookieName,
        value: token,
        httpOnly: true,
        sameSite: "strict",
        secure: deps.publicUrl.protocol === "https:",
        path: "/",
        maxAge: deps.config.AGORA_SESSION_TTL_S,
      });
      return {
        status: 200,
        body: {
          token,
          address: session.address,
          roles: session.roles,
          expiresAt: session.expiresAt.toISOString(),
        },
        headers: { "set-cookie": cookie, "cache-control": "no-store" },
      };
    },
  }),
  defineRoute({
    method: "get",
    path: "/auth/session",
    operationId: "currentSession",
    summary: "The caller's address, roles and session expiry",
    tag: "auth",
    roles: [],
    responses: { 200: { description: "The session", schema: sessionResponse } },
    handle: async ({ session }) => ({
      status: 200,
      body: session && {
        address: session.address,
        roles: session.roles,
        expiresAt: session.expiresAt.toISOString(),
      },
    }),
  }),
  defineRoute({
    method: "post",
    path: "/auth/logout",
    operationId: "logout",
    summary: "Clear the browser session cookie",
    tag: "auth",
    responses: { 204: { description: "Cookie cleared" } },
    handle: async () => ({
      status: 204,
      headers: {
        "set-cookie": stringifySetCookie({
          name: sessionCookieName,
          value: "",
          path: "/",
          maxAge: 0,
          httpOnly: true,
        }),
      },
    }),
  }),
];
