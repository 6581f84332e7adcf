import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Wallet } from "ethers";
import { SignJWT } from "jose";
import {
  expectProblem,
  login,
  postJson,
  signedLogin,
  startTestApi,
  type TestApi,
} from "../support/api-client.ts";

const operator = Wallet.createRandom();
const holder = Wallet.createRandom();

describe("Sign-In with Ethereum and role checks", () => {
  let api: TestApi;
  before(async () => {
    api = await startTestApi({ AGORA_OPERATORS: operator.address });
  });
  after(() => api.close());

  it("signs in, returns a session token and cookie, and knows the session", async () => {
    const response = await postJson(api, "/auth/login", await signedLogin(api, holder));
    assert.equal(response.status, 200);
    const body = (await response.json()) as { token: string; address: string; roles: string[] };
    assert.equal(body.address, holder.address.toLowerCase());
    assert.deepEqual(body.roles, ["owner", "holder"]);
    assert.match(
      response.headers.get("set-cookie") ?? "",
      /agora_session=.+HttpOnly.*SameSite=Strict/i,
    );

    const session = await fetch(api.url("/auth/session"), {
      headers: { authorization: `Bearer ${body.token}` },
    });
    assert.equal(session.status, 200);
    assert.equal(
      ((await session.json()) as { address: string }).address,
      holder.address.toLowerCase(),
    );
  });

  it("rejects a signature by another key", async () => {
    const login = await signedLogin(api, holder, { signer: Wallet.createRandom() });
    const problem = await expectProblem(await postJson(api, "/auth/login", login), 401);
    assert.equal(problem.title, "Bad signature");
  });

  it("rejects an expired message", async () => {
    const login = await signedLogin(api, holder, {
      message: {
        issuedAt: new Date(Date.now() - 120_000).toISOString(),
        expirationTime: new Date(Date.now() - 60_000).toISOString(),
      },
    });
    const problem = await expectProblem(await postJson(api, "/auth/login", login), 401);
    assert.equal(problem.title, "Sign-in message expired");
  });

  it("rejects a replayed message: its nonce is single-use", async () => {
    const login = await signedLogin(api, holder);
    assert.equal((await postJson(api, "/auth/login", login)).status, 200);
    const problem = await expectProblem(await postJson(api, "/auth/login", login), 401);
    assert.equal(problem.title, "Nonce already used or unknown");
  });

  it("rejects a nonce the server never issued", async () => {
    const login = await signedLogin(api, holder, { message: { nonce: "neverissued1234" } });
    await expectProblem(await postJson(api, "/auth/login", login), 401);
  });

  it("rejects a message for another domain or chain", async () => {
    const otherDomain = await signedLogin(api, holder, { message: { domain: "evil.example" } });
    assert.equal(
      (await expectProblem(await postJson(api, "/auth/login", otherDomain), 401)).title,
      "Wrong sign-in domain",
    );
    const otherChain = await signedLogin(api, holder, { message: { chainId: 1 } });
    assert.equal(
      (await expectProblem(await postJson(api, "/auth/login", otherChain), 401)).title,
      "Wrong chain",
    );
  });

  it("refuses an appointed role the address does not have", async () => {
    const login = await signedLogin(api, holder, { roles: ["auditor"] });
    const problem = await expectProblem(await postJson(api, "/auth/login", login), 403);
    assert.equal(problem.code, "forbidden");
  });

  it("grants appointed roles from the allowlist and enforces them per route", async () => {
    const holderToken = await login(api, holder, ["holder"]);
    const operatorToken = await login(api, operator, ["operator"]);

    await expectProblem(await fetch(api.url("/operator/queues")), 401);
    const forbidden = await fetch(api.url("/operator/queues"), {
      headers: { authorization: `Bearer ${holderToken}` },
    });
    assert.match((await expectProblem(forbidden, 403)).detail ?? "", /operator/);
    const allowed = await fetch(api.url("/operator/queues"), {
      headers: { authorization: `Bearer ${operatorToken}` },
    });
    assert.equal(allowed.status, 200);
    const { queues } = (await allowed.json()) as { queues: { name: string }[] };
    assert.ok(queues.some((queue) => queue.name === "aggregate"));
  });

  it("guards Bull Board with the operator role, by bearer token or session cookie", async () => {
    await expectProblem(await fetch(api.url("/admin/queues")), 401);
    const holderToken = await login(api, holder);
    await expectProblem(
      await fetch(api.url("/admin/queues"), {
        headers: { authorization: `Bearer ${holderToken}` },
      }),
      403,
    );
    const operatorToken = await login(api, operator);
    const board = await fetch(api.url("/admin/queues"), {
      headers: { cookie: `agora_session=${operatorToken}` },
    });
    assert.equal(board.status, 200);
    assert.match(await board.text(), /<html/i);
  });

  it("rejects tampered, expired and malformed tokens", async () => {
    const token = await login(api, holder);
    const [header, payload, signature] = token.split(".");
    const forged = Buffer.from(
      JSON.stringify({
        ...JSON.parse(Buffer.from(payload ?? "", "base64url").toString()),
        roles: ["operator"],
      }),
    ).toString("base64url");
    const tampered = await fetch(api.url("/operator/queues"), {
      headers: { authorization: `Bearer ${header}.${forged}.${signature}` },
    });
    assert.equal((await expectProblem(tampered, 401)).title, "Invalid session token");

    const secret = new TextEncoder().encode(api.config.AGORA_JWT_SECRET);
    const expired = await new SignJWT({ roles: ["operator"] })
      .setProtectedHeader({ alg: "HS256" })
      .setIssuer("agora")
      .setAudience("agora-api")
      .setSubject(operator.address.toLowerCase())
      .setJti("expired")
      .setIssuedAt(Math.floor(Date.now() / 1000) - 120)
      .setExpirationTime(Math.floor(Date.now() / 1000) - 60)
      .sign(secret);
    const expiredResponse = await fetch(api.url("/operator/queues"), {
      headers: { authorization: `Bearer ${expired}` },
    });
    assert.equal((await expectProblem(expiredResponse, 401)).title, "Session expired");

    const malformed = await fetch(api.url("/auth/session"), {
      headers: { authorization: "Basic abc" },
    });
    await expectProblem(malformed, 401);
  });
});
