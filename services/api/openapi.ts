import { z } from "zod";
import type { AnyRoute } from "./route.ts";

const problemSchema = {
  type: "object",
  required: ["type", "title", "status", "code"],
  properties: {
    type: { type: "string", format: "uri" },
    title: { type: "string" },
    status: { type: "integer" },
    detail: { type: "string" },
    instance: { type: "string" },
    code: { type: "string" },
    errors: {
      type: "array",
      items: {
        type: "object",
        required: ["pointer", "message"],
        properties: { pointer: { type: "string" }, message: { type: "string" } },
      },
    },
  },
} as const;

const toSchema = (schema: z.ZodType, io: "input" | "output") =>
  z.toJSONSchema(schema, { io, unrepresentable: "any" });

const openApiPath = (path: string) => path.replace(/:([A-Za-z0-9_]+)/g, "{$1}");

/** The OpenAPI 3.1 document, generated from the same definitions that serve the routes. */
export function buildOpenApiDocument(routes: readonly AnyRoute[], info: { version: string }) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const responses: Record<string, unknown> = {};
    for (const [status, response] of Object.entries(route.responses)) {
      responses[status] = {
        description: response.description,
        ...(response.schema && {
          content: {
            [response.contentType ?? "application/json"]: {
              schema: toSchema(response.schema, "output"),
            },
          },
        }),
      };
    }
    const problemStatuses = ["400", "422", "429", "500"];
    if (route.roles !== undefined) problemStatuses.push("401", "403");
    if (route.body !== undefined) problemStatuses.push("413", "415");
    for (const status of problemStatuses) {
      responses[status] ??= {
        description: "Problem details (RFC 9457)",
        content: {
          "application/problem+json": { schema: { $ref: "#/components/schemas/Problem" } },
        },
      };
    }
    const parameters = [...route.path.matchAll(/:([A-Za-z0-9_]+)/g)].map((match) => ({
      name: match[1],
      in: "path",
      required: true,
      schema: { type: "string" },
    }));
    if (route.query !== undefined) {
      const querySchema = toSchema(route.query, "input") as {
        properties?: Record<string, unknown>;
        required?: string[];
      };
      for (const [name, schema] of Object.entries(querySchema.properties ?? {})) {
        parameters.push({
          name,
          in: "query",
          required: querySchema.required?.includes(name) ?? false,
          schema: schema as { type: string },
        });
      }
    }
    const key = openApiPath(route.path);
    const pathItem = paths[key] ?? {};
    paths[key] = pathItem;
    pathItem[route.method] = {
      operationId: route.operationId,
      summary: route.summary,
      tags: [route.tag],
      ...(route.roles && {
        security: [{ bearer: [] }, { session: [] }],
        "x-roles": route.roles,
      }),
      ...(parameters.length > 0 && { parameters }),
      ...(route.body && {
        requestBody: {
          required: true,
          content: { "application/json": { schema: toSchema(route.body, "input") } },
        },
      }),
      responses,
    };
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "Agora API",
      version: info.version,
      description:
        "Marketplace for federated learning. Sign in with Ethereum (GET /auth/nonce, POST /auth/login), then send the token as a Bearer header.",
    },
    paths,
    components: {
      schemas: { Problem: problemSchema },
      securitySchemes: {
        bearer: { type: "http", scheme: "bearer", bearerFormat: "JWT" },
        session: { type: "apiKey", in: "cookie", name: "agora_session" },
      },
    },
  };
}
