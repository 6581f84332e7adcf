/**
 * `./dev bench:shapley`: GTG-Shapley against exact Shapley on real FL rounds.
 * Prints a table and writes bench/results/shapley.json.
 *
 * Ten holders share a non-IID MNIST split (Dirichlet α = 1 over labels, so
 * they differ in size and label mix). Two are free riders: they hold a
 * tiny share (10 examples) and send the global model back untrained. One is an
 * attacker (sign flip: the trained update pushed 4× the other way). Every
 * round all ten train the MNIST 2NN with the workers' local training, FedAvg
 * combines the updates, and each round is scored from its real updates by
 * the same `scoreRound` the round-closed worker runs: exact Shapley (2^10
 * coalition models), GTG-Shapley (seeded) and leave-one-out, each with its
 * own evaluations and clock. Per-task totals are the sums of round scores.
 *
 * Targets: GTG vs exact Spearman ≥ 0.9 and cosine ≥ 0.95 on the per-task
 * totals with at most 20% of exact's coalition evaluations; free riders and
 * the attacker rank last under both. Per-round agreement is reported too.
 * About 2 minutes on 2 cores; BENCH_SHAPLEY_ROUNDS overrides the rounds.
 */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { chooseBackend } from "../services/learning/backend/choose-backend.ts";
import { FileBlobStore } from "../services/learning/blobs/file-blob-store.ts";
import { putWeights } from "../services/learning/blobs/weight-blobs.ts";
import type {
  ContributionMethod,
  GtgSettings,
} from "../services/learning/contribution/contribution-inputs.ts";
import { type RoundScores, scoreRound } from "../services/learning/contribution/score-round.ts";
import { datasetDigest } from "../services/learning/contribution/validation-reference.ts";
import { subset } from "../services/learning/data/dataset.ts";
import { federatedSplit } from "../services/learning/data/federated-split.ts";
import { loadMnist } from "../services/learning/data/mnist.ts";
import type { ModelKind } from "../services/learning/models/architecture.ts";
import { initialWeights } from "../services/learning/models/build-model.ts";
import { createStrategy } from "../services/learning/strategies/create-strategy.ts";
import type { FitReply } from "../services/learning/strategies/strategy.ts";
import { evaluateWeights } from "../services/learning/training/evaluate.ts";
import { trainLocally } from "../services/learning/training/local-train.ts";

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
type Role = "honest" | "free-rider" | "attacker";
const roles: Role[] = [...Array(7).fill("honest"), "free-rider", "free-rider", "attacker"];
const config = {
  holders: roles.length,
  rounds: env("BENCH_SHAPLEY_ROUNDS", 4),
  partition: { kind: "dirichlet", alpha: env("BENCH_SHAPLEY_ALPHA", 1) } as const,
  poolSize: 6000,
  validationSize: 500,
  testSize: 1000,
  localEpochs: 1,
  batchSize: 10,
  learningRate: env("BENCH_SHAPLEY_LR", 0.05),
  attackScale: 4,
  freeRiderSamples: env("BENCH_SHAPLEY_FREE_RIDER_SAMPLES", 10),
  seed: "bench-shapley",
};
/**
 * GTG-Shapley's settings: an evaluation budget of a fifth of exact's 2^n,
 * tolerances in accuracy (0.002 is one validation example of 500). The
 * budget, not convergence, is what stops it here: whole permutations are
 * sampled (seeded) until the next one would exceed it.
 */
const gtg: Partial<GtgSettings> = {
  withinRoundTolerance: env("BENCH_SHAPLEY_WITHIN", 0.002),
  betweenRoundTolerance: env("BENCH_SHAPLEY_BETWEEN", 0.001),
  convergenceTolerance: env("BENCH_SHAPLEY_CONVERGENCE", 0.01),
  maxPermutations: env("BENCH_SHAPLEY_PERMUTATIONS", 200),
  maxEvaluations: env("BENCH_SHAPLEY_BUDGET", Math.floor(0.2 * 2 ** roles.length)),
};
const model: ModelKind = "mnist-2nn";
const methods: ContributionMethod[] = ["exact-shapley", "gtg-shapley", "leave-one-out"];
const log = (message: string) => console.error(`[bench:shapley] ${message}`);
const started = performance.now();

const backend = await chooseBackend({ models: [model], forced: process.env.AGORA_TF_BACKEND });
log(`backend: ${backend.backend}`);
const mnist = loadMnist();
const split = federatedSplit(mnist, {
  holders: config.holders,
  scheme: config.partition,
  validationSize: config.validationSize,
  testSize: config.testSize,
  poolSize: config.poolSize,
  seed: config.seed,
});
const holderIds = roles.map((role, i) => `${role}-${i}`);
// A free rider holds a handful of examples and never trains on them.
const holderData = split.holders.map((indices, i) =>
  subset(mnist, roles[i] === "free-rider" ? indices.slice(0, config.freeRiderSamples) : indices),
);
const validationData = subset(mnist, split.validation);
const testData = subset(mnist, split.test);
// The bench's validation set is cut from its own split; the reference pins it by digest.
const validation = {
  reference: {
    source: "owner" as const,
    id: `${config.seed}/validation`,
    digest: datasetDigest(validationData),
  },
  data: validationData,
};
const blobDir = await mkdtemp(join(tmpdir(), "agora-bench-shapley-"));
const blobs = new FileBlobStore(blobDir);
const strategySpec = { name: "fedavg" } as const;
const strategy = createStrategy(strategySpec, config.seed);

/** Sign flip: the trained update pushed `attackScale`× the other way. */
const signFlip = (trained: Float32Array, global: Float32Array) =>
  trained.map(
    (value, i) => (global[i] as number) - config.attackScale * (value - (global[i] as number)),
  );

let global = initialWeights(model, 1);
const perRound: {
  round: number;
  accuracy_before: number;
  accuracy_after: number;
  methods: Record<string, { values: Record<string, number>; evaluations: number; seconds: number }>;
  gtg_vs_exact: { spearman: number; cosine: number; eval_fraction: number };
  loo_vs_exact: { spearman: number; cosine: number };
}[] = [];
const totals = new Map<ContributionMethod, number[]>(methods.map((m) => [m, roles.map(() => 0)]));
const evaluations = new Map<ContributionMethod, number>(methods.map((m) => [m, 0]));
const seconds = new Map<ContributionMethod, number>(methods.map((m) => [m, 0]));
let trainSeconds = 0;

for (let round = 0; round < config.rounds; round++) {
  const globalHash = await putWeights(blobs, global);
  const replies: FitReply[] = [];
  const trainStarted = performance.now();
  for (const [i, role] of roles.entries()) {
    const data = holderData[i];
    if (data === undefined) throw new Error(`holder ${i} has no data`);
    let weights: Float32Array = global;
    if (role !== "free-rider") {
      const trained = await trainLocally({
        kind: model,
        tier: 0,
        global,
        data,
        epochs: config.localEpochs,
        batchSize: config.batchSize,
        learningRate: config.learningRate,
        seed: `${config.seed}|${round}|${i}`,
      });
      weights = role === "attacker" ? signFlip(trained.weights, global) : trained.weights;
    }
    replies.push({ holderId: holderIds[i] as string, weights, samples: data.labels.length });
  }
  trainSeconds += (performance.now() - trainStarted) / 1000;
  const updates = await Promise.all(
    replies.map(async (reply) => ({
      holderId: reply.holderId,
      updateHash: await putWeights(blobs, reply.weights),
      samples: reply.samples,
      tier: 0,
    })),
  );
  const roundToScore = {
    taskId: config.seed,
    round,
    model,
    strategy: strategySpec,
    startingModelHash: globalHash,
    updates,
  };
  const scored = new Map<ContributionMethod, RoundScores>();
  for (const method of methods) {
    const result = await scoreRound(roundToScore, { blobs, validation }, { method, gtg });
    scored.set(method, result);
    const sums = totals.get(method) as number[];
    holderIds.forEach((id, i) => {
      sums[i] = (sums[i] as number) + (result.scores.get(id) ?? 0);
    });
    evaluations.set(method, (evaluations.get(method) ?? 0) + result.evaluations);
    seconds.set(method, (seconds.get(method) ?? 0) + result.seconds);
  }
  const accuracyBefore = scored.get("exact-shapley")?.utilities[""] ?? 0;
  const next = strategy.aggregate(round, replies, [], global).weights;
  const vector = (method: ContributionMethod) =>
    holderIds.map((id) => scored.get(method)?.scores.get(id) ?? 0);
  const exact = vector("exact-shapley");
  const entry = {
    round,
    accuracy_before: accuracyBefore,
    accuracy_after: evaluateWeights(model, next, validationData).accuracy,
    methods: Object.fromEntries(
      methods.map((method) => {
        const result = scored.get(method) as RoundScores;
        return [
          method,
          {
            values: Object.fromEntries(result.scores),
            evaluations: result.evaluations,
            seconds: result.seconds,
          },
        ];
      }),
    ),
    gtg_vs_exact: {
      spearman: spearman(vector("gtg-shapley"), exact),
      cosine: cosine(vector("gtg-shapley"), exact),
      eval_fraction:
        (scored.get("gtg-shapley")?.evaluations ?? 0) /
        (scored.get("exact-shapley")?.evaluations ?? 1),
    },
    loo_vs_exact: {
      spearman: spearman(vector("leave-one-out"), exact),
      cosine: cosine(vector("leave-one-out"), exact),
    },
  };
  perRound.push(entry);
  log(
    `round ${round}: accuracy ${entry.accuracy_before.toFixed(3)} → ${entry.accuracy_after.toFixed(3)}; GTG vs exact ρ ${entry.gtg_vs_exact.spearman.toFixed(3)}, cos ${entry.gtg_vs_exact.cosine.toFixed(3)}, ${scored.get("gtg-shapley")?.evaluations} evaluations`,
  );
  global = next;
}
await rm(blobDir, { recursive: true, force: true });

const exactTotals = totals.get("exact-shapley") as number[];
const rankOf = (values: number[]) => {
  // Rank 1 = largest contribution; ties share the better rank.
  return values.map((v) => 1 + values.filter((w) => w > v).length);
};
const methodSummary = Object.fromEntries(
  methods.map((method) => {
    const values = totals.get(method) as number[];
    const ranks = rankOf(values);
    const badRanks = Object.fromEntries(
      holderIds.flatMap((id, i) => (roles[i] === "honest" ? [] : [[id, ranks[i]]])),
    );
    const worstHonest = Math.max(...ranks.filter((_, i) => roles[i] === "honest"));
    return [
      method,
      {
        spearman: spearman(values, exactTotals),
        cosine: cosine(values, exactTotals),
        evaluations: evaluations.get(method),
        eval_fraction: (evaluations.get(method) ?? 0) / (evaluations.get("exact-shapley") ?? 1),
        seconds: seconds.get(method),
        totals: Object.fromEntries(holderIds.map((id, i) => [id, values[i]])),
        ranks: Object.fromEntries(holderIds.map((id, i) => [id, ranks[i]])),
        free_rider_and_attacker_ranks: badRanks,
        free_riders_and_attackers_rank_last: Object.values(badRanks).every(
          (rank) => (rank as number) > worstHonest,
        ),
      },
    ];
  }),
);
const gtgSummary = methodSummary["gtg-shapley"] as {
  spearman: number;
  cosine: number;
  eval_fraction: number;
};
const roundMean = (pick: (r: (typeof perRound)[number]) => number) =>
  perRound.reduce((sum, r) => sum + pick(r), 0) / perRound.length;
const results = {
  benchmark: "shapley",
  generated_at: new Date().toISOString(),
  machine: { cpus: cpus().length, node: process.versions.node },
  backend: backend.backend,
  config: {
    ...config,
    model,
    strategy: strategySpec,
    roles: Object.fromEntries(holderIds.map((id, i) => [id, roles[i]])),
    samples: Object.fromEntries(holderIds.map((id, i) => [id, holderData[i]?.labels.length])),
    utility: "validation accuracy of the coalition's FedAvg model",
    gtg,
  },
  methods: methodSummary,
  gtg_vs_exact: {
    spearman: gtgSummary.spearman,
    cosine: gtgSummary.cosine,
    eval_fraction: gtgSummary.eval_fraction,
    per_round_mean_spearman: roundMean((r) => r.gtg_vs_exact.spearman),
    per_round_min_spearman: Math.min(...perRound.map((r) => r.gtg_vs_exact.spearman)),
    per_round_mean_cosine: roundMean((r) => r.gtg_vs_exact.cosine),
  },
  per_round: perRound,
  test_accuracy: evaluateWeights(model, global, testData).accuracy,
  targets: {
    spearman_at_least_0_9: gtgSummary.spearman >= 0.9,
    cosine_at_least_0_95: gtgSummary.cosine >= 0.95,
    eval_fraction_at_most_0_2: gtgSummary.eval_fraction <= 0.2,
    bad_holders_rank_last_exact:
      methodSummary["exact-shapley"]?.free_riders_and_attackers_rank_last,
    bad_holders_rank_last_gtg: methodSummary["gtg-shapley"]?.free_riders_and_attackers_rank_last,
  },
  notes: [
    "Spearman and cosine compare each method's per-task totals (sums of round scores) with exact Shapley's; per_round has the same per round.",
    "eval_fraction = distinct coalition models a method evaluated over exact Shapley's (2^10 per round).",
    "seconds per method include rebuilding coalition models from the update blobs and evaluating them; training is separate (train_seconds).",
    "Free riders and the attacker rank last when each of their ranks is worse than every honest holder's.",
  ],
  train_seconds: trainSeconds,
  seconds: (performance.now() - started) / 1000,
};
await mkdir("bench/results", { recursive: true });
await writeFile("bench/results/shapley.json", `${JSON.stringify(results, null, 2)}\n`);

const fmt = (x: number | undefined, digits = 3) => (x === undefined ? "—" : x.toFixed(digits));
console.log(
  `\n${"method".padEnd(14)}  ${"spearman".padStart(8)}  ${"cosine".padStart(7)}  ${"evals".padStart(6)}  ${"fraction".padStart(8)}  ${"seconds".padStart(7)}  bad holders' ranks`,
);
for (const method of methods) {
  const s = methodSummary[method] as {
    spearman: number;
    cosine: number;
    evaluations: number;
    eval_fraction: number;
    seconds: number;
    free_rider_and_attacker_ranks: Record<string, number>;
  };
  console.log(
    `${method.padEnd(14)}  ${fmt(s.spearman).padStart(8)}  ${fmt(s.cosine).padStart(7)}  ${String(s.evaluations).padStart(6)}  ${fmt(s.eval_fraction).padStart(8)}  ${fmt(s.seconds, 1).padStart(7)}  ${Object.values(s.free_rider_and_attacker_ranks).join(", ")} of ${roles.length}`,
  );
}
console.log(`\n${"holder".padEnd(14)}  ${methods.map((m) => m.padStart(14)).join("  ")}`);
for (const [i, id] of holderIds.entries()) {
  console.log(
    `${id.padEnd(14)}  ${methods.map((m) => fmt((totals.get(m) as number[])[i], 4).padStart(14)).join("  ")}`,
  );
}
console.log(
  `\nper round GTG vs exact: mean ρ ${fmt(results.gtg_vs_exact.per_round_mean_spearman)}, min ρ ${fmt(results.gtg_vs_exact.per_round_min_spearman)}, mean cos ${fmt(results.gtg_vs_exact.per_round_mean_cosine)}`,
);
console.log(`wrote bench/results/shapley.json in ${results.seconds.toFixed(0)} s`);

/** Spearman's ρ with average ranks for ties (Pearson on the ranks). */
function spearman(a: number[], b: number[]): number {
  return pearson(averageRanks(a), averageRanks(b));
}

function averageRanks(values: number[]): number[] {
  const order = values.map((value, index) => ({ value, index })).sort((x, y) => x.value - y.value);
  const ranks = new Array<number>(values.length);
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j + 1 < order.length && order[j + 1]?.value === order[i]?.value) j++;
    for (let k = i; k <= j; k++) ranks[order[k]?.index as number] = (i + j) / 2 + 1;
    i = j + 1;
  }
  return ranks;
}

function pearson(a: number[], b: number[]): number {
  const mean = (v: number[]) => v.reduce((s, x) => s + x, 0) / v.length;
  const ma = mean(a);
  const mb = mean(b);
  let num = 0;
  let da = 0;
  let db = 0;
  for (let i = 0; i < a.length; i++) {
    const x = (a[i] as number) - ma;
    const y = (b[i] as number) - mb;
    num += x * y;
    da += x * x;
    db += y * y;
  }
  return da === 0 || db === 0 ? 0 : num / Math.sqrt(da * db);
}

function cosine(a: number[], b: number[]): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += (a[i] as number) * (b[i] as number);
    na += (a[i] as number) ** 2;
    nb += (b[i] as number) ** 2;
  }
  return na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb);
}
