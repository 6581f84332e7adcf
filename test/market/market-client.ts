import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import type { BaseWallet, TypedDataDomain } from "ethers";
import { type GuardianProfile, planBid } from "../../agents/guardian/guardian-policy.ts";
import { agreementTypes, bidTypes } from "../../services/identity/typed-data.ts";
import { attributesHash, taskIdHash } from "../../services/market/bids/bid-attributes.ts";
import type { HardwareProfile } from "../../services/market/holder-profile.ts";
import { type TaskSpecInput, taskSpecSchema } from "../../services/market/task-spec.ts";
import type { TestApi } from "../support/api-client.ts";

/** Helpers that drive the market API the way an owner's or holder's client would. */
export const freshNonce = (): string => BigInt(`0x${randomBytes(16).toString("hex")}`).toString();
export const inTenMinutes = (): string => String(Math.floor(Date.now() / 1000) + 600);

export async function call(
  api: TestApi,
  token: string,
  method: string,
  path: string,
  body?: unknown,
) {
  return fetch(api.url(path), {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body !== undefined && { "content-type": "application/json" }),
    },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
}

export async function json<T = Record<string, unknown>>(
  response: Response,
  status: number,
): Promise<T> {
  const text = await response.text();
  assert.equal(response.status, status, text);
  return JSON.parse(text) as T;
}

export const taskSpec = (overrides: Partial<TaskSpecInput> = {}): TaskSpecInput => ({
  model: { name: "mnist-mlp", minTier: 0, maxTier: 1 },
  data: { labels: ["0", "1"], minSamples: 100 },
  rounds: 2,
  holdersPerRound: 2,
  minHolders: 2,
  roundDeadlineS: 60,
  privacy: { epsilon: 1, delta: 1e-5 },
  ...overrides,
});

export const hardware = (): HardwareProfile => ({
  device: "cpu",
  samplesPerSecond: { "0": 1_000, "1": 500 },
  memoryMb: 4_096,
  availability: {
    from: new Date(Date.now() - 3_600_000).toISOString(),
    until: new Date(Date.now() + 30 * 86_400_000).toISOString(),
  },
});

export const holderBody = (
  wallet: BaseWallet,
  labels: Record<string, number>,
  priceFloor: bigint,
  privacyEpsilon = 8,
) => ({
  payoutRail: "chain",
  payoutAccount: wallet.address,
  dataSummary: { samples: Object.values(labels).reduce((a, b) => a + b, 0), labels },
  hardware: hardware(),
  privacyEpsilon,
  privacyDelta: 1e-5,
  priceFloor: priceFloor.toString(),
});

/** The bid a guardian would plan for this holder, at `price`, signed by the holder's wallet. */
export async function signedBid(
  wallet: BaseWallet,
  domain: TypedDataDomain,
  taskId: string,
  holder: ReturnType<typeof holderBody>,
  price: bigint,
  budget = 10_000n,
) {
  const profile: GuardianProfile = {
    holderId: "self",
    priceFloor: price,
    privacyEpsilon: 1_000,
    privacyDelta: holder.privacyDelta,
    data: { ...holder.dataSummary, dpNoised: false },
    hardware: holder.hardware,
  };
  const plan = planBid(
    { id: taskId, spec: taskSpecSchema.parse(taskSpec()), budget },
    profile,
    0,
    new Date(),
  );
  assert.equal(plan.action, "bid");
  if (plan.action !== "bid") throw new Error("guardian declined");
  const attributes = {
    labelCoverage: plan.labelCoverage,
    availableFrom: plan.availableFrom.toISOString(),
    availableUntil: plan.availableUntil.toISOString(),
  };
  const message = {
    taskId: taskIdHash(taskId),
    signer: wallet.address,
    price: plan.price.toString(),
    samples: String(plan.samples),
    modelTier: plan.modelTier,
    epsilonMicros: String(Math.round(plan.epsilonCost * 1_000_000)),
    throughputMilli: String(Math.round(plan.throughput * 1000)),
    attributesHash: attributesHash(attributes),
    nonce: freshNonce(),
    expiry: inTenMinutes(),
  };
  const signature = await wallet.signTypedData(domain, bidTypes, message);
  return { message, signature, attributes };
}

export async function signedAgreement(
  wallet: BaseWallet,
  domain: TypedDataDomain,
  taskId: string,
  termsHash: string,
) {
  const message = {
    taskId: taskIdHash(taskId),
    signer: wallet.address,
    termsHash,
    nonce: freshNonce(),
    expiry: inTenMinutes(),
  };
  return { message, signature: await wallet.signTypedData(domain, agreementTypes, message) };
}
