/**
 * `./dev bench:market`: how fast the market clears and takes bids.
 *
 * - clear_ms: the budget-feasible auction on 1k, 10k and 100k random
 *   non-IID bids (10 labels), median of several runs.
 * - label_tv: selected vs population label distance on the 10k instance.
 * - bids_per_s, p99_ms: signed bids accepted over HTTP on loopback by the
 *   real route (session check, rate limit, EIP-712 verification against the
 *   registered holder, nonce, durable insert before the 201), on PostgreSQL
 *   when a server answers (the production configuration; the top-level
 *   figures) and on in-memory PGlite. Both are under `http` in the JSON.
 *
 * The load comes from a child process (this file again, with
 * AGORA_BENCH_ROLE=load) so that signing, JSON and socket work of the client
 * do not run on the server's event loop. The child signs every bid before the
 * timed phase, then keeps `concurrency` requests in flight over keep-alive
 * connections and reports each request's latency.
 *
 * Options: `--only=clear` or `--only=http`; `--backend=postgres` or
 * `--backend=pglite`. PostgreSQL is BENCH_DATABASE_URL, else DATABASE_URL,
 * else the local test server; each run works in a schema of its own and drops it.
 *
 * Prints a table and writes bench/results/market.json.
 */
import { fork } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdir, rm, writeFile } from "node:fs/promises";
import http from "node:http";
import os from "node:os";
import {
  type BaseWallet,
  concat,
  keccak256,
  type TypedDataDomain,
  TypedDataEncoder,
  Wallet,
} from "ethers";
import pg from "pg";
import { SiweMessage } from "siwe";
import { type RunningServer, startServer } from "../services/api/server.ts";
import { loadConfig } from "../services/config/config.ts";
import { bidTypes } from "../services/identity/typed-data.ts";
import { attributesHash, taskIdHash } from "../services/market/bids/bid-attributes.ts";
import {
  type AuctionBid,
  clearAuction,
} from "../services/market/mechanism/budget-feasible-auction.ts";
import { taskSpecSchema } from "../services/market/task-spec.ts";

const labels = Array.from({ length: 10 }, (_, i) => String(i));
const spec = taskSpecSchema.parse({
  model: { name: "bench" },
  data: { labels },
  rounds: 10,
  holdersPerRound: 50,
  minHolders: 10,
  roundDeadlineS: 60,
  privacy: { epsilon: 4, delta: 1e-5 },
  // Reserve at 3x a bid's utility share of the budget: with a budget of a third of the asks,
  // the default 1.5x would admit only the cheapest few bids and leave most of the budget unspent.
  selection: { reserveMultiplierBps: 30_000 },
});
const now = new Date();

/** The HTTP load: enough bids for several seconds at the target rate. */
const holderCount = 50;
const bidsPerHolder = 110;
const warmupBids = 500;
const concurrency = 32;

/* ------------------------------------------------------------------ clearing */

/** Deterministic PRNG so every run clears the same instances. */
function mulberry32(seed: number) {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function instance(n: number, seed: number): { bids: AuctionBid[]; budget: bigint } {
  const random = mulberry32(seed);
  const bids: AuctionBid[] = [];
  let costs = 0n;
  for (let i = 0; i < n; i++) {
    const main = labels[Math.floor(random() * labels.length)] as string;
    const other = labels[Math.floor(random() * labels.length)] as string;
    const samples = 100 + Math.floor(random() * 2_000);
    const labelCoverage = main === other ? { [main]: 1 } : { [main]: 0.8, [other]: 0.2 };
    const price = BigInt(Math.floor(samples * (500 + random() * 1_000)));
    costs += price;
    bids.push({
      id: `bid-${i}`,
      holderId: `holder-${i}`,
      price,
      samples,
      labelCoverage,
      throughput: 20 + random() * 200,
      modelTier: 0,
      epsilonCost: 1,
      availableFrom: now,
      availableUntil: new Date(now.getTime() + 30 * 86_400_000),
    });
  }
  // A budget that affords about a third of the asks: enough for a representative set.
  return { bids, budget: costs / 3n };
}

const percentile = (sorted: readonly number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0;
const oneDecimal = (value: number) => Math.round(value * 10) / 10;

function benchClearing() {
  const clearMs: Record<string, number> = {};
  let labelTv = 0;
  let winners = 0;
  for (const n of [1_000, 10_000, 100_000]) {
    const { bids, budget } = instance(n, n);
    const runs = n >= 100_000 ? 3 : 7;
    const times: number[] = [];
    for (let run = 0; run < runs; run++) {
      const started = performance.now();
      const outcome = clearAuction({ bids, budget, spec, now });
      times.push(performance.now() - started);
      if (n === 10_000) {
        labelTv = outcome.labelTv;
        winners = outcome.winners.length;
        if (outcome.totalPayment > budget) throw new Error("budget exceeded");
      }
    }
    clearMs[n] = oneDecimal(
      percentile(
        times.sort((a, b) => a - b),
        0.5,
      ),
    );
  }
  return { clearMs, labelTv: Math.round(labelTv * 10_000) / 10_000, winners };
}

/* ------------------------------------------------------------- load generator */

interface LoadPlan {
  url: string;
  taskId: string;
  domain: TypedDataDomain;
  holders: { privateKey: string; token: string }[];
  bidsPerHolder: number;
  warmup: number;
  concurrency: number;
}

interface LoadResult {
  bids: number;
  failures: number;
  failureSample: string | undefined;
  seconds: number;
  latenciesMs: number[];
}

/** Runs in the child: signs every bid first, then fires them and reports latencies. */
async function generateLoad(plan: LoadPlan): Promise<LoadResult> {
  const encoder = TypedDataEncoder.from(bidTypes);
  const domainSeparator = TypedDataEncoder.hashDomain(plan.domain);
  const availableFrom = new Date();
  const attributes = {
    labelCoverage: { "0": 0.5, "1": 0.5 },
    availableFrom: availableFrom.toISOString(),
    availableUntil: new Date(availableFrom.getTime() + 30 * 86_400_000).toISOString(),
  };
  const committed = attributesHash(attributes);
  const taskHash = taskIdHash(plan.taskId);
  const expiry = String(Math.floor(Date.now() / 1000) + 3_600);
  const requests: { token: string; body: string }[] = [];
  for (let b = 0; b < plan.bidsPerHolder; b++) {
    for (const holder of plan.holders) {
      const wallet = new Wallet(holder.privateKey);
      const message = {
        taskId: taskHash,
        signer: wallet.address,
        price: String(1_000 + b),
        samples: "1000",
        modelTier: 0,
        epsilonMicros: "1000000",
        throughputMilli: "500000",
        attributesHash: committed,
        nonce: BigInt(`0x${randomBytes(16).toString("hex")}`).toString(),
        expiry,
      };
      const digest = keccak256(concat(["0x1901", domainSeparator, encoder.hash(message)]));
      const signature = wallet.signingKey.sign(digest).serialized;
      requests.push({
        token: holder.token,
        body: JSON.stringify({ message, signature, attributes }),
      });
    }
  }

  const agent = new http.Agent({ keepAlive: true, maxSockets: plan.concurrency });
  const target = new URL(`/tasks/${plan.taskId}/bids`, plan.url);
  const send = (request: { token: string; body: string }) =>
    new Promise<{ status: number; text: string }>((resolve, reject) => {
      const outgoing = http.request(
        target,
        {
          method: "POST",
          agent,
          headers: {
            "content-type": "application/json",
            "content-length": Buffer.byteLength(request.body),
            authorization: `Bearer ${request.token}`,
          },
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on("data", (chunk: Buffer) => chunks.push(chunk));
          response.on("end", () =>
            resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString() }),
          );
          response.on("error", reject);
        },
      );
      outgoing.on("error", reject);
      outgoing.end(request.body);
    });

  let failures = 0;
  let failureSample: string | undefined;
  async function fire(batch: typeof requests, latencies: number[] | undefined) {
    let next = 0;
    await Promise.all(
      Array.from({ length: plan.concurrency }, async () => {
        while (next < batch.length) {
          const request = batch[next++] as (typeof requests)[number];
          const started = performance.now();
          const { status, text } = await send(request);
          latencies?.push(performance.now() - started);
          if (status !== 201) {
            failures++;
            failureSample ??= `${status} ${text.slice(0, 300)}`;
          }
        }
      }),
    );
  }
  await fire(requests.splice(0, plan.warmup), undefined);
  await new Promise<void>((resolve) => process.send?.("timed", () => resolve()));
  const latenciesMs: number[] = [];
  const started = performance.now();
  await fire(requests, latenciesMs);
  const seconds = (performance.now() - started) / 1000;
  agent.destroy();
  return { bids: requests.length, failures, failureSample, seconds, latenciesMs };
}

/* ---------------------------------------------------------------- HTTP server */

type Backend = "postgres" | "pglite";

interface HttpFigures {
  database: string;
  bids: number;
  failures: number;
  concurrency: number;
  bids_per_s: number;
  p50_ms: number;
  p99_ms: number;
  max_ms: number;
  /** CPU time of the API process per accepted bid: a figure that machine load distorts less. */
  server_cpu_us_per_bid: number;
}

const postgresUrl = () =>
  process.env.BENCH_DATABASE_URL ??
  process.env.DATABASE_URL ??
  "postgres://postgres@127.0.0.1:5432/test";

async function postgresAnswers(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

async function startBenchServer(backend: Backend, prefix: string): Promise<RunningServer> {
  const config = loadConfig({
    ...process.env,
    NODE_ENV: "test",
    HOST: "127.0.0.1",
    PORT: "0",
    LOG_LEVEL: "silent",
    AGORA_QUEUE_PREFIX: prefix,
    AGORA_JWT_SECRET: randomBytes(32).toString("hex"),
    AGORA_DATA_DIR: `${os.tmpdir()}/${prefix}`,
    AGORA_RATE_LIMIT_PER_MIN: "100000000",
    DATABASE_URL: backend === "postgres" ? postgresUrl() : undefined,
  });
  return startServer(config, {
    inMemoryDatabase: backend === "pglite",
    databaseSchema: backend === "postgres" ? prefix : undefined,
  });
}

/** Signs in, posts and funds a task, registers the holders: everything before the bids. */
async function prepareMarket(running: RunningServer) {
  const base = running.url.href.replace(/\/$/, "");
  const post = async (path: string, token: string | undefined, body: unknown) => {
    const response = await fetch(`${base}${path}`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        ...(token && { authorization: `Bearer ${token}` }),
      },
      body: JSON.stringify(body),
    });
    if (response.status >= 300)
      throw new Error(`${path}: ${response.status} ${await response.text()}`);
    return response.json() as Promise<Record<string, unknown>>;
  };
  const login = async (wallet: BaseWallet, role: string): Promise<string> => {
    const issued = (await (await fetch(`${base}/auth/nonce`)).json()) as {
      nonce: string;
      domain: string;
      uri: string;
      chainId: number;
    };
    const message = new SiweMessage({
      domain: issued.domain,
      address: wallet.address,
      uri: issued.uri,
      version: "1",
      chainId: issued.chainId,
      nonce: issued.nonce,
      issuedAt: new Date().toISOString(),
      resources: [`urn:agora:role:${role}`],
    }).prepareMessage();
    const signature = await wallet.signMessage(message);
    return (await post("/auth/login", undefined, { message, signature })).token as string;
  };

  const ownerToken = await login(Wallet.createRandom(), "owner");
  const task = await post("/tasks", ownerToken, {
    spec,
    budget: "100000000",
    currency: "USDC",
    rail: "sandbox",
    deadline: new Date(Date.now() + 7 * 86_400_000).toISOString(),
  });
  const taskId = task.id as string;
  await post(`/tasks/${taskId}/fund`, ownerToken, {});
  const holders: LoadPlan["holders"] = [];
  for (let h = 0; h < holderCount; h++) {
    const wallet = Wallet.createRandom();
    const token = await login(wallet, "holder");
    await post("/holders", token, {
      payoutRail: "chain",
      payoutAccount: wallet.address,
      dataSummary: { samples: 1_000, labels: { "0": 500, "1": 500 } },
      hardware: {
        device: "cpu",
        samplesPerSecond: { "0": 500 },
        memoryMb: 2_048,
        availability: {
          from: new Date().toISOString(),
          until: new Date(Date.now() + 30 * 86_400_000).toISOString(),
        },
      },
      privacyEpsilon: 8,
      privacyDelta: 1e-5,
      priceFloor: "1000",
    });
    holders.push({ privateKey: wallet.privateKey, token });
  }
  return { taskId, holders };
}

/** Runs the load in a child process; also returns the CPU time this (server) process spent meanwhile. */
function runLoadGenerator(plan: LoadPlan): Promise<LoadResult & { serverCpuMs: number }> {
  return new Promise((resolve, reject) => {
    const child = fork(import.meta.filename, [], {
      env: { ...process.env, AGORA_BENCH_ROLE: "load" },
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    let timedFrom: NodeJS.CpuUsage | undefined;
    child.on("message", (message) => {
      if (message === "timed") {
        timedFrom = process.cpuUsage();
        return;
      }
      const used = process.cpuUsage(timedFrom);
      resolve({ ...(message as LoadResult), serverCpuMs: (used.user + used.system) / 1000 });
    });
    child.once("error", reject);
    child.once("exit", (code) => {
      if (code !== 0) reject(new Error(`load generator exited with ${code}`));
    });
    child.send(plan);
  });
}

async function benchHttp(backend: Backend): Promise<HttpFigures> {
  const prefix = `agora_bench_${randomBytes(4).toString("hex")}`;
  const running = await startBenchServer(backend, prefix);
  try {
    const { taskId, holders } = await prepareMarket(running);
    const load = await runLoadGenerator({
      url: running.url.href,
      taskId,
      domain: {
        ...running.deps.market.domain,
        chainId: Number(running.deps.market.domain.chainId),
      },
      holders,
      bidsPerHolder,
      warmup: warmupBids,
      concurrency,
    });
    if (load.failureSample !== undefined)
      console.error(`${backend}: ${load.failures} bids failed, e.g. ${load.failureSample}`);
    const stored = await running.deps.market.repos.bids.listForTask(taskId);
    if (stored.length !== load.bids + warmupBids - load.failures)
      throw new Error(
        `${backend}: ${stored.length} bids stored, expected ${load.bids + warmupBids}`,
      );
    const sorted = load.latenciesMs.sort((a, b) => a - b);
    return {
      database: backend === "postgres" ? "postgresql" : "pglite (in memory)",
      bids: load.bids,
      failures: load.failures,
      concurrency,
      bids_per_s: Math.round(load.bids / load.seconds),
      p50_ms: oneDecimal(percentile(sorted, 0.5)),
      p99_ms: oneDecimal(percentile(sorted, 0.99)),
      max_ms: oneDecimal(sorted.at(-1) ?? 0),
      server_cpu_us_per_bid: Math.round((load.serverCpuMs * 1000) / load.bids),
    };
  } finally {
    const keys = await running.deps.redis.keys(`${prefix}*`);
    if (keys.length > 0) await running.deps.redis.del(...keys);
    await running.close();
    if (backend === "postgres") {
      const admin = new pg.Client({ connectionString: postgresUrl() });
      await admin.connect();
      await admin.query(`drop schema if exists "${prefix}" cascade`).finally(() => admin.end());
    }
    await rm(`${os.tmpdir()}/${prefix}`, { recursive: true, force: true });
  }
}

/* ----------------------------------------------------------------------- main */

async function main() {
  const option = (name: string) =>
    process.argv.find((arg) => arg.startsWith(`--${name}=`))?.slice(name.length + 3);
  const only = option("only");
  const wanted = option("backend");

  const clearing = only === "http" ? undefined : benchClearing();
  const httpFigures: Partial<Record<Backend, HttpFigures>> = {};
  let skipped: string | undefined;
  if (only !== "clear") {
    if (wanted !== "pglite") {
      if (await postgresAnswers(postgresUrl())) httpFigures.postgres = await benchHttp("postgres");
      else skipped = `PostgreSQL at ${postgresUrl()} does not answer`;
    }
    if (wanted !== "postgres") httpFigures.pglite = await benchHttp("pglite");
  }
  // The targets are for the production configuration: PostgreSQL when it ran.
  const headline = httpFigures.postgres ?? httpFigures.pglite;

  const result = {
    ...(clearing && { clear_ms: clearing.clearMs }),
    ...(headline && { bids_per_s: headline.bids_per_s, p99_ms: headline.p99_ms }),
    ...(clearing && { label_tv: clearing.labelTv }),
    details: {
      ...(clearing && {
        label_tv_instance: {
          bids: 10_000,
          labels: labels.length,
          winners: clearing.winners,
          budget: "a third of the sum of asks",
        },
      }),
      ...(headline && {
        http: {
          headline: headline.database,
          ...httpFigures,
          ...(skipped && { skipped }),
          load: "separate process, keep-alive connections, bids signed before the timed phase",
        },
      }),
      node: process.version,
      cpus: os.cpus().length,
      measured_at: new Date().toISOString(),
    },
  };

  const rows: [string, string][] = [];
  if (clearing) {
    for (const n of ["1000", "10000", "100000"])
      rows.push([`clear_ms (${Number(n) / 1000}k bids)`, String(clearing.clearMs[n])]);
    rows.push(["label_tv (10k instance)", String(clearing.labelTv)]);
  }
  for (const figures of Object.values(httpFigures)) {
    const where = figures.database;
    rows.push([`bids_per_s, ${where}`, String(figures.bids_per_s)]);
    rows.push([`p50 / p99 ms, ${where}`, `${figures.p50_ms} / ${figures.p99_ms}`]);
    rows.push([`API CPU µs per bid, ${where}`, String(figures.server_cpu_us_per_bid)]);
    rows.push([
      `bids (failed), ${where}`,
      `${figures.bids} (${figures.failures}) at concurrency ${figures.concurrency}`,
    ]);
  }
  if (skipped) rows.push(["postgresql", `skipped: ${skipped}`]);
  const width = Math.max(...rows.map(([name]) => name.length)) + 3;
  console.log(`\n${"metric".padEnd(width)}value`);
  for (const [name, value] of rows) console.log(`${name.padEnd(width)}${value}`);
  await mkdir("bench/results", { recursive: true });
  await writeFile("bench/results/market.json", `${JSON.stringify(result, null, 2)}\n`);
  console.log("\nwrote bench/results/market.json");
}

// Last, so that every constant above is initialised before either role runs.
if (process.env.AGORA_BENCH_ROLE === "load") {
  process.once("message", (plan: LoadPlan) => {
    generateLoad(plan).then(
      (result) => process.send?.(result, () => process.exit(0)),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  });
} else {
  await main();
}
