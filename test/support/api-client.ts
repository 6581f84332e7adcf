import assert from "node:assert/strict";
import type { BaseWallet } from "ethers";
import { SiweMessage } from "siwe";
import type { DependencyOverrides } from "../../services/api/dependencies.ts";
import { type RunningServer, startServer } from "../../services/api/server.ts";
import type { Config } from "../../services/config/config.ts";
import { testConfig } from "./environment.ts";

export interface TestApi {
  running: RunningServer;
  config: Config;
  url: (path: string) => string;
  close(): Promise<void>;
}

/** Starts the real API (real Redis, PGlite in memory) on a free port. */
export async function startTestApi(
  configOverrides: Record<string, string> = {},
  dependencyOverrides: DependencyOverrides = { inMemoryDatabase: true },
): Promise<TestApi> {
  const config = testConfig(configOverrides);
  const running = await startServer(config, dependencyOverrides);
  return {
    running,
    config,
    url: (path) => new URL(path, running.url).href,
    close: async () => {
      // Remove this run's keys so the shared Redis stays clean.
      const keys = await running.deps.redis.keys(`${config.AGORA_QUEUE_PREFIX}*`);
      if (keys.length > 0) await running.deps.redis.del(...keys);
      await running.close();
    },
  };
}

export interface SignInOptions {
  roles?: string[];
  /** Overrides of the SIWE message fields, to build bad messages. */
  message?: Partial<ConstructorParameters<typeof SiweMessage>[0] & object>;
  /** Sign with this wallet instead of the message's address. */
  signer?: BaseWallet;
}

/** Builds and signs a SIWE message the way a wallet would, after fetching a nonce. */
export async function signedLogin(api: TestApi, wallet: BaseWallet, options: SignInOptions = {}) {
  const nonceResponse = await fetch(api.url("/auth/nonce"));
  assert.equal(nonceResponse.status, 200);
  const issued = (await nonceResponse.json()) as {
    nonce: string;
    domain: string;
    uri: string;
    chainId: number;
  };
  const message = new SiweMessage({
    domain: issued.domain,
    address: wallet.address,
    statement: "Sign in to Agora.",
    uri: issued.uri,
    version: "1",
    chainId: issued.chainId,
    nonce: issued.nonce,
    issuedAt: new Date().toISOString(),
    expirationTime: new Date(Date.now() + 5 * 60_000).toISOString(),
    ...(options.roles && { resources: options.roles.map((role) => `urn:agora:role:${role}`) }),
    ...options.message,
  }).prepareMessage();
  const signature = await (options.signer ?? wallet).signMessage(message);
  return { message, signature };
}

export async function postJson(
  api: TestApi,
  path: string,
  body: unknown,
  headers: Record<string, string> = {},
) {
  return fetch(api.url(path), {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
}

/** Signs in and returns the bearer token. */
export async function login(api: TestApi, wallet: BaseWallet, roles?: string[]): Promise<string> {
  const response = await postJson(
    api,
    "/auth/login",
    await signedLogin(api, wallet, roles ? { roles } : {}),
  );
  assert.equal(response.status, 200, await response.clone().text());
  return ((await response.json()) as { token: string }).token;
}

/** Asserts an RFC 9457 problem response and returns its body. */
export async function expectProblem(response: Response, status: number) {
  const text = await response.text();
  assert.equal(response.status, status, text);
  assert.match(response.headers.get("content-type") ?? "", /^application\/problem\+json/);
  const problem = JSON.parse(text) as {
    type: string;
    title: string;
    status: number;
    code: string;
    detail?: string;
    errors?: { pointer: string; message: string }[];
  };
  assert.equal(problem.status, status);
  assert.equal(typeof problem.title, "string");
  assert.match(problem.type, /^https:\/\//);
  return problem;
}
