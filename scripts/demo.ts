/**
 * `./dev demo`: starts the Agora API on embedded defaults (PGlite, local Redis),
 * walks through what it answers, and stops cleanly. `--keep` leaves it running
 * until Ctrl-C. The full marketplace scenario grows here as the parts land.
 */
import { Wallet } from "ethers";
import { SiweMessage } from "siwe";
import { startServer } from "../services/api/server.ts";
import { loadConfig } from "../services/config/config.ts";

const keep = process.argv.includes("--keep");
const config = loadConfig({ LOG_LEVEL: "warn", ...process.env });
const running = await startServer(config);
const at = (path: string) => new URL(path, running.url).href;

const rows: [string, string][] = [];
const show = async (label: string, response: Response) => {
  const body = await response.text();
  rows.push([`${label} → ${response.status}`, body.length > 90 ? `${body.slice(0, 87)}...` : body]);
};

await show("GET /healthz", await fetch(at("/healthz")));
await show("GET /readyz", await fetch(at("/readyz")));

// Sign in as a fresh data holder, exactly as a wallet would.
const wallet = Wallet.createRandom();
const issued = (await (await fetch(at("/auth/nonce"))).json()) as {
  nonce: string;
  domain: string;
  uri: string;
  chainId: number;
};
const message = new SiweMessage({
  domain: issued.domain,
  address: wallet.address,
  statement: "Sign in to Agora (demo).",
  uri: issued.uri,
  version: "1",
  chainId: issued.chainId,
  nonce: issued.nonce,
  issuedAt: new Date().toISOString(),
  resources: ["urn:agora:role:holder"],
}).prepareMessage();
const loginResponse = await fetch(at("/auth/login"), {
  method: "POST",
  headers: { "content-type": "application/json" },
  body: JSON.stringify({ message, signature: await wallet.signMessage(message) }),
});
const { token } = (await loginResponse.clone().json()) as { token: string };
await show("POST /auth/login (SIWE)", loginResponse);
await show(
  "GET /auth/session",
  await fetch(at("/auth/session"), { headers: { authorization: `Bearer ${token}` } }),
);
await show(
  "GET /operator/queues (holder)",
  await fetch(at("/operator/queues"), { headers: { authorization: `Bearer ${token}` } }),
);
await show(
  "POST /auth/login (bad JSON)",
  await fetch(at("/auth/login"), {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: "{",
  }),
);

console.log(
  `\nAgora API at ${running.url.href} (database: ${running.deps.database.kind}, redis: ${config.REDIS_URL})\n`,
);
const width = Math.max(...rows.map(([label]) => label.length));
for (const [label, body] of rows) console.log(`  ${label.padEnd(width)}  ${body}`);
console.log(
  `\n  OpenAPI: ${at("/openapi.json")}   metrics: ${at("/metrics")}   queues: ${at("/admin/queues")}`,
);

if (keep) {
  console.log("\nRunning; Ctrl-C stops it.");
  await new Promise<void>((resolve) => process.once("SIGINT", () => resolve()));
}
await running.close();
console.log("\nStopped cleanly.");
