import type { NextFunction, Request, Response, Router } from "express";
import type { z } from "zod";
import { AgoraError } from "../errors/agora-error.ts";
import type { Role } from "../identity/roles.ts";
import type { Session } from "../identity/session-tokens.ts";
import { authenticate } from "./authenticate.ts";
import type { ApiDependencies } from "./dependencies.ts";
import { parseOrThrow } from "./validation.ts";

export type HttpMethod = "get" | "post" | "put" | "patch" | "delete";

export interface RouteResponse {
  status: number;
  body?: unknown;
  /** Extra headers, e.g. Set-Cookie. */
  headers?: Record<string, string | string[]>;
}

export interface RouteInput<Body, Query> {
  body: Body;
  query: Query;
  params: Record<string, string>;
  /** Present whenever the route names roles. */
  session: Session | undefined;
  deps: ApiDependencies;
  request: Request;
}

/**
 * One HTTP operation: where it lives, who may call it, the zod schemas of what
 * it accepts and returns, and the use-case it runs. The same object drives
 * Express routing, validation, role checks and the OpenAPI document, so they
 * cannot drift apart.
 */
export interface RouteDefinition<Body = unknown, Query = unknown> {
  method: HttpMethod;
  /** Express path syntax (`/tasks/:id`); OpenAPI gets `{id}`. */
  path: string;
  operationId: string;
  summary: string;
  tag: string;
  /** Roles of which the caller needs at least one; omitted means public. */
  roles?: readonly Role[];
  body?: z.ZodType<Body>;
  query?: z.ZodType<Query>;
  /** Documented responses by status; problem responses are added automatically. */
  responses: Record<number, { description: string; schema?: z.ZodType; contentType?: string }>;
  handle(input: RouteInput<Body, Query>): Promise<RouteResponse>;
}

// biome-ignore lint/suspicious/noExplicitAny: a heterogeneous list of routes needs erasure here.
export type AnyRoute = RouteDefinition<any, any>;

export const defineRoute = <Body = undefined, Query = undefined>(
  route: RouteDefinition<Body, Query>,
): RouteDefinition<Body, Query> => route;

/** Registers routes on an Express router with validation, auth and error forwarding. */
export function mountRoutes(
  router: Router,
  routes: readonly AnyRoute[],
  deps: ApiDependencies,
): void {
  for (const route of routes) {
    const handler = async (req: Request, res: Response, next: NextFunction) => {
      res.locals.routePath = route.path;
      try {
        const session =
          route.roles === undefined ? undefined : await authenticate(req, deps, route.roles);
        if (route.body !== undefined && !req.is("application/json")) {
          throw new AgoraError("unsupported_media_type", "Unsupported media type", {
            detail: "Send the body as application/json.",
          });
        }
        const body =
          route.body === undefined ? undefined : parseOrThrow(route.body, req.body, "body");
        const query =
          route.query === undefined ? undefined : parseOrThrow(route.query, req.query, "query");
        const result = await route.handle({
          body,
          query,
          params: req.params as Record<string, string>,
          session,
          deps,
          request: req,
        });
        for (const [name, value] of Object.entries(result.headers ?? {}))
          res.setHeader(name, value);
        if (result.body === undefined) {
          res.status(result.status).end();
        } else if (typeof result.body === "string") {
          res.status(result.status).send(result.body);
        } else {
          res.status(result.status).json(result.body);
        }
      } catch (error) {
        next(error);
      }
    };
    router[route.method](route.path, handler);
  }
}
