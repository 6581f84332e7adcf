import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { hexlify, randomBytes, Wallet, ZeroHash } from "ethers";
import type { Redis } from "ioredis";
import { createRedisConnection, waitUntilReady } from "../../queues/connection.ts";
import { AgoraError } from "../../services/errors/agora-error.ts";
import { RedisSignerNonceRegistry } from "../../services/identity/signer-nonce-registry.ts";
import {
  agoraDomain,
  agreementTypes,
  type BidMessage,
  bidTypes,
} from "../../services/identity/typed-data.ts";
import { TypedDataVerifier } from "../../services/identity/typed-data-verifier.ts";
import { testRedisUrl, uniqueName } from "../support/environment.ts";

const escrow = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
const domain = agoraDomain(31337, escrow);
const holder = Wallet.createRandom();

const bid = (overrides: Partial<BidMessage> = {}): BidMessage => ({
  taskId: hexlify(randomBytes(32)),
  signer: holder.address,
  price: 2_500_000n,
  samples: 600n,
  modelTier: 1,
  epsilonMicros: 1_500_000n,
  throughputMilli: 850_000n,
  attributesHash: ZeroHash,
  nonce: BigInt(hexlify(randomBytes(16))),
  expiry: BigInt(Math.floor(Date.now() / 1000) + 600),
  ...overrides,
});

const rejectsWith = (promise: Promise<unknown>, kind: string, title: RegExp) =>
  assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof AgoraError);
    assert.equal(error.kind, kind);
    assert.match(error.message, title);
    return true;
  });

describe("EIP-712 bids and agreements", () => {
  let redis: Redis;
  let verifier: TypedDataVerifier;
  let prefix: string;
  before(async () => {
    prefix = uniqueName("agora_test");
    redis = createRedisConnection({ url: testRedisUrl(), role: "client" });
    await waitUntilReady(redis);
    verifier = new TypedDataVerifier({
      domain,
      nonces: new RedisSignerNonceRegistry(redis, { prefix }),
    });
  });
  after(async () => {
    try {
      const keys = await redis.keys(`${prefix}*`);
      if (keys.length > 0) await redis.del(...keys);
    } finally {
      redis.disconnect();
    }
  });

  it("accepts a bid signed by its holder, exactly once", async () => {
    const message = bid();
    const signature = await holder.signTypedData(domain, bidTypes, message);
    assert.equal((await verifier.accept(bidTypes, message, signature)).price, 2_500_000n);
    await rejectsWith(
      verifier.accept(bidTypes, message, signature),
      "conflict",
      /Nonce already used/,
    );
  });

  it("rejects a bid whose signature is not the signer's", async () => {
    const message = bid();
    const signature = await Wallet.createRandom().signTypedData(domain, bidTypes, message);
    await rejectsWith(
      verifier.accept(bidTypes, message, signature),
      "unauthorized",
      /Bad signature/,
    );
  });

  it("rejects a bid whose fields were changed after signing", async () => {
    const message = bid();
    const signature = await holder.signTypedData(domain, bidTypes, message);
    await rejectsWith(
      verifier.accept(bidTypes, { ...message, price: 1n }, signature),
      "unauthorized",
      /Bad signature/,
    );
  });

  it("rejects an expired bid without spending its nonce", async () => {
    const message = bid({ expiry: BigInt(Math.floor(Date.now() / 1000) - 1) });
    const signature = await holder.signTypedData(domain, bidTypes, message);
    await rejectsWith(verifier.accept(bidTypes, message, signature), "unauthorized", /expired/);
    const fresh = { ...message, expiry: BigInt(Math.floor(Date.now() / 1000) + 60) };
    await verifier.accept(bidTypes, fresh, await holder.signTypedData(domain, bidTypes, fresh));
  });

  it("binds signatures to the chain and the escrow contract (domain separation)", async () => {
    const message = bid();
    const otherChain = await holder.signTypedData(agoraDomain(1, escrow), bidTypes, message);
    await rejectsWith(
      verifier.accept(bidTypes, message, otherChain),
      "unauthorized",
      /Bad signature/,
    );
    const otherEscrow = await holder.signTypedData(
      agoraDomain(31337, Wallet.createRandom().address),
      bidTypes,
      message,
    );
    await rejectsWith(
      verifier.accept(bidTypes, message, otherEscrow),
      "unauthorized",
      /Bad signature/,
    );
  });

  it("keeps nonces per signer and per message type", async () => {
    const nonce = 7n;
    const expiry = BigInt(Math.floor(Date.now() / 1000) + 600);
    const owner = Wallet.createRandom();
    const agreement = {
      taskId: ZeroHash,
      signer: owner.address,
      termsHash: ZeroHash,
      nonce,
      expiry,
    };
    await verifier.accept(
      agreementTypes,
      agreement,
      await owner.signTypedData(domain, agreementTypes, agreement),
    );
    const ownerBid = bid({ signer: owner.address, nonce });
    await verifier.accept(
      bidTypes,
      ownerBid,
      await owner.signTypedData(domain, bidTypes, ownerBid),
    );
    const holderBid = bid({ nonce });
    await verifier.accept(
      bidTypes,
      holderBid,
      await holder.signTypedData(domain, bidTypes, holderBid),
    );
  });
});
