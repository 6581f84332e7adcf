import assert from "node:assert/strict";
import type { TestApi } from "../support/api-client.ts";
import type { SeededMarket } from "./settled-task-seed.ts";

/** Fields the public dashboard must never carry, wherever they would nest. */
const privateKeys = new Set([
  "payoutAccount",
  "account",
  "externalRef",
  "priceFloor",
  "dataSummary",
  "hardware",
  "signature",
  "ownerSignature",
  "holderSignature",
  "payload",
]);

function keysOf(value: unknown, found = new Set<string>()): Set<string> {
  if (Array.isArray(value)) for (const item of value) keysOf(item, found);
  else if (value !== null && typeof value === "object") {
    for (const [key, inner] of Object.entries(value)) {
      found.add(key);
      keysOf(inner, found);
    }
  }
  return found;
}

/** Every dashboard view of the seeded market, as an unauthenticated viewer gets it. */
export async function publicViews(api: TestApi, seeded: SeededMarket) {
  const paths = [
    "/dashboard/api/tasks",
    `/dashboard/api/tasks/${seeded.task.id}`,
    ...seeded.holders.map((holder) => `/dashboard/api/holders/${holder.record.id}`),
    "/dashboard/api/audit",
  ];
  const views = new Map<string, { text: string; json: unknown }>();
  for (const path of paths) {
    const response = await fetch(api.url(path));
    const text = await response.text();
    assert.equal(response.status, 200, `${path}: ${text}`);
    views.set(path, { text, json: JSON.parse(text) });
  }
  return views;
}

/**
 * Asserts that no view leaks what is the holders' business: payout accounts
 * (Stripe account ids), transfer references, price floors, data summaries,
 * hardware, signatures or audit payloads.
 */
export async function assertNothingPrivate(api: TestApi, seeded: SeededMarket) {
  const secrets = seeded.holders.flatMap((holder) => [
    holder.record.payoutRail === "stripe" ? holder.record.payoutAccount : undefined,
    holder.payout.externalRef ?? undefined,
  ]);
  for (const [path, view] of await publicViews(api, seeded)) {
    const leaked = [...keysOf(view.json)].filter((key) => privateKeys.has(key));
    assert.deepEqual(leaked, [], `${path} carries private fields`);
    for (const secret of secrets) {
      if (secret !== undefined) assert.ok(!view.text.includes(secret), `${path} leaks ${secret}`);
    }
  }
}
