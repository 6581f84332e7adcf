import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import {
  type AuctionBid,
  clearAuction,
  scoreBids,
} from "../../services/market/mechanism/budget-feasible-auction.ts";
import {
  type CoverageCandidate,
  enforceCoverage,
} from "../../services/market/mechanism/coverage-enforcement.ts";
import {
  labelDistribution,
  totalVariation,
} from "../../services/market/mechanism/selection-bias.ts";
import { type TaskSpec, taskSpecSchema } from "../../services/market/task-spec.ts";

const seed = 20_240_502;
const now = new Date("2030-01-01T00:00:00Z");
const specFor = (labels: string[], population?: Record<string, number>): TaskSpec =>
  taskSpecSchema.parse({
    model: { name: "mlp" },
    data: { labels },
    rounds: 2,
    holdersPerRound: 2,
    minHolders: 1,
    roundDeadlineS: 60,
    privacy: { epsilon: 4, delta: 1e-5 },
    coverage: { maxLabelTv: 0.1, ...(population && { population }) },
  });

const bid = (id: string, coverage: Record<string, number>, price: bigint, samples = 500) =>
  ({
    id,
    holderId: `holder-${id}`,
    price,
    samples,
    labelCoverage: coverage,
    throughput: 1_000,
    modelTier: 1,
    epsilonCost: 1,
    availableFrom: now,
    availableUntil: new Date(now.getTime() + 86_400_000),
  }) satisfies AuctionBid;

describe("coverage bound on small instances", () => {
  const spec = specFor(["0", "1"], { "0": 1, "1": 1 });
  // Label 1's only bid asks 60, more than label 1's half of the budget: the
  // per-label auction alone selects label 0 only, at distance 0.5.
  const bids = [bid("a", { "0": 1 }, 10n), bid("b", { "1": 1 }, 60n)];

  it("selects a set within the bound when one fits the budget, paying asks", () => {
    const outcome = clearAuction({ bids, budget: 100n, spec, now });
    assert.equal(outcome.coverage, "enforced-exact");
    assert.deepEqual(outcome.winners.map((winner) => winner.bidId).sort(), ["a", "b"]);
    for (const winner of outcome.winners) assert.equal(winner.payment, winner.price);
    assert.equal(outcome.totalPayment, 70n);
    assert.ok(outcome.labelTv <= 0.1, `label TV ${outcome.labelTv}`);
    assert.equal(outcome.coverageMet, true);
    const spent = outcome.groups.reduce((sum, group) => sum + group.spent, 0n);
    assert.equal(spent, outcome.totalPayment);
  });

  it("says so and selects nobody when no set within the bound fits the budget", () => {
    const outcome = clearAuction({ bids, budget: 69n, spec, now });
    assert.equal(outcome.coverage, "infeasible");
    assert.deepEqual(outcome.winners, []);
    assert.equal(outcome.coverageMet, false);
    assert.equal(outcome.enoughHolders, false);
    assert.equal(outcome.totalPayment, 0n);
  });

  it("keeps the auction's own selection when it is already within the bound", () => {
    const cheap = [bid("a", { "0": 1 }, 10n), bid("b", { "1": 1 }, 10n)];
    const outcome = clearAuction({ bids: cheap, budget: 100n, spec, now });
    assert.equal(outcome.coverage, "met");
    assert.equal(outcome.winners.length, 2);
    for (const winner of outcome.winners) assert.ok(winner.payment >= winner.price);
  });

  it("finds a set within the bound exactly when one exists (random small instances)", () => {
    const labels = ["0", "1", "2"];
    const arbitraryBid = fc.record({
      label: fc.constantFrom(...labels),
      second: fc.constantFrom(...labels),
      share: fc.constantFrom(1, 0.8, 0.6),
      price: fc.bigInt({ min: 1n, max: 400n }),
      samples: fc.integer({ min: 100, max: 2_000 }),
    });
    fc.assert(
      fc.property(
        fc.array(arbitraryBid, { minLength: 1, maxLength: 9 }),
        fc.bigInt({ min: 1n, max: 2_000n }),
        (raw, budget) => {
          const spec3 = specFor(labels);
          const bids3 = raw.map((entry, i) =>
            bid(
              `b${i}`,
              entry.label === entry.second || entry.share === 1
                ? { [entry.label]: 1 }
                : { [entry.label]: entry.share, [entry.second]: 1 - entry.share },
              entry.price,
              entry.samples,
            ),
          );
          const outcome = clearAuction({ bids: bids3, budget, spec: spec3, now });
          assert.ok(outcome.totalPayment <= budget);
          for (const winner of outcome.winners) assert.ok(winner.payment >= winner.price);
          // An independent brute force over the same eligible bids, reserves and population.
          const { scored } = scoreBids(bids3, spec3, budget, now);
          const pool = scored.filter((entry) => entry.bid.price <= entry.reserve);
          let exists = false;
          for (let mask = 1; mask < 1 << pool.length && !exists; mask++) {
            const members = pool.filter((_, i) => (mask & (1 << i)) !== 0).map((e) => e.bid);
            const cost = members.reduce((sum, member) => sum + member.price, 0n);
            if (cost > budget) continue;
            const tv = totalVariation(
              labelDistribution(members, labels),
              outcome.population,
              labels,
            );
            exists = tv <= 0.1 + 1e-12;
          }
          if (outcome.winners.length > 0) {
            assert.ok(outcome.labelTv <= 0.1 + 1e-12, `label TV ${outcome.labelTv}`);
            assert.equal(outcome.coverageMet, true);
          }
          assert.equal(outcome.winners.length > 0, exists, `coverage ${outcome.coverage}`);
          if (!exists) assert.equal(outcome.coverage, "infeasible");
        },
      ),
      { seed, numRuns: 300 },
    );
  });
});

describe("coverage bound on larger instances", () => {
  const labels = ["0", "1"];
  const population = { "0": 0.5, "1": 0.5 };
  const candidate = (i: number, label: string): CoverageCandidate => ({
    id: `c${String(i).padStart(2, "0")}`,
    price: 10n,
    utility: 100,
    samples: 100,
    labelCoverage: { [label]: 1 },
    reserve: 1_000n,
  });
  // 20 candidates, more than the exact search takes: 14 of label 0, 6 of label 1.
  const candidates = [
    ...Array.from({ length: 14 }, (_, i) => candidate(i, "0")),
    ...Array.from({ length: 6 }, (_, i) => candidate(14 + i, "1")),
  ];

  it("trims over-represented winners and keeps the auction's payments", () => {
    const selected = new Map(candidates.map((entry, i) => [entry.id, 11n + BigInt(i)]));
    const decision = enforceCoverage({
      candidates,
      selected,
      budget: 1_000n,
      population,
      labels,
      maxLabelTv: 0.1,
    });
    assert.equal(decision.status, "enforced-trimmed");
    assert.ok(decision.labelTv <= 0.1, `label TV ${decision.labelTv}`);
    for (const [id, payment] of decision.selected) assert.equal(payment, selected.get(id));
    const ones = [...decision.selected.keys()].filter((id) => Number(id.slice(1)) >= 14);
    assert.equal(ones.length, 6, "every label-1 winner is kept");
    // With the 6 of label 1 kept, k of label 0 are within 0.1 of ½ while k / (k + 6) ≤ 0.6,
    // i.e. k ≤ 9: trimming stops at the first set within the bound, so it drops 5, no more.
    assert.equal(decision.selected.size, 15);
  });

  it("selects nobody and says so when trimming cannot reach the bound", () => {
    const onlyZeros = new Map(candidates.slice(0, 14).map((entry) => [entry.id, 10n]));
    const decision = enforceCoverage({
      candidates,
      selected: onlyZeros,
      budget: 1_000n,
      population,
      labels,
      maxLabelTv: 0.1,
    });
    assert.equal(decision.status, "unmet");
    assert.equal(decision.selected.size, 0);
  });
});
