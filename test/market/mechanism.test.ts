import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import {
  type AuctionBid,
  clearAuction,
} from "../../services/market/mechanism/budget-feasible-auction.ts";
import {
  clearProportionalShare,
  type ScoredBid,
} from "../../services/market/mechanism/proportional-share.ts";
import { gini, totalVariation } from "../../services/market/mechanism/selection-bias.ts";
import { type TaskSpec, taskSpecSchema } from "../../services/market/task-spec.ts";

const seed = 20_240_501;

const scoredBid = fc.record({
  price: fc.bigInt({ min: 1n, max: 1_000_000n }),
  utility: fc.integer({ min: 1, max: 10_000 }),
});
const instance = fc.record({
  bids: fc.array(scoredBid, { minLength: 1, maxLength: 40 }),
  budget: fc.bigInt({ min: 1n, max: 20_000_000n }),
  cap: fc.option(fc.integer({ min: 1, max: 200_000 }), { nil: undefined }),
});
const withIds = (bids: { price: bigint; utility: number }[]): ScoredBid[] =>
  bids.map((bid, i) => ({ id: `b${String(i).padStart(3, "0")}`, ...bid }));

/** A bidder's gain: payment − true cost if it wins, else nothing. */
function gain(
  bids: ScoredBid[],
  budget: bigint,
  cap: number | undefined,
  bidder: number,
  trueCost: bigint,
): bigint {
  const won = clearProportionalShare(bids, budget, cap).find((winner) => winner.index === bidder);
  return won === undefined ? 0n : won.payment - trueCost;
}

describe("proportional-share mechanism", () => {
  it("never pays more than the budget (budget feasibility)", () => {
    fc.assert(
      fc.property(instance, ({ bids, budget, cap }) => {
        const winners = clearProportionalShare(withIds(bids), budget, cap);
        const total = winners.reduce((sum, winner) => sum + winner.payment, 0n);
        assert.ok(total <= budget, `paid ${total} of ${budget}`);
        const selected = winners.reduce(
          (sum, winner) => sum + (bids[winner.index]?.utility ?? 0),
          0,
        );
        assert.ok(cap === undefined || selected <= cap);
      }),
      { seed, numRuns: 300 },
    );
  });

  it("pays every winner at least its bid (individual rationality)", () => {
    fc.assert(
      fc.property(instance, ({ bids, budget, cap }) => {
        const scored = withIds(bids);
        for (const { index, payment } of clearProportionalShare(scored, budget, cap)) {
          assert.ok(payment >= (scored[index] as ScoredBid).price);
        }
      }),
      { seed, numRuns: 300 },
    );
  });

  it("gives no bidder a gain from misreporting its cost (empirical truthfulness)", () => {
    fc.assert(
      fc.property(
        instance,
        fc.nat(),
        fc.array(fc.bigInt({ min: 1n, max: 2_000_000n }), { minLength: 1, maxLength: 8 }),
        ({ bids, budget, cap }, pick, lies) => {
          const truthful = withIds(bids);
          const bidder = pick % truthful.length;
          const trueCost = (truthful[bidder] as ScoredBid).price;
          const honest = gain(truthful, budget, cap, bidder, trueCost);
          for (const lie of lies) {
            const misreported = truthful.map((bid, i) =>
              i === bidder ? { ...bid, price: lie } : bid,
            );
            const dishonest = gain(misreported, budget, cap, bidder, trueCost);
            assert.ok(
              dishonest <= honest,
              `bidding ${lie} instead of ${trueCost} gains ${dishonest} > ${honest}`,
            );
          }
        },
      ),
      { seed, numRuns: 300 },
    );
  });

  it("pays each winner its threshold: one unit above it loses, at it still wins", () => {
    fc.assert(
      fc.property(instance, ({ bids, budget, cap }) => {
        const scored = withIds(bids);
        for (const { index, payment } of clearProportionalShare(scored, budget, cap)) {
          const at = scored.map((bid, i) => (i === index ? { ...bid, price: payment } : bid));
          assert.ok(
            clearProportionalShare(at, budget, cap).some((winner) => winner.index === index),
          );
          const above = scored.map((bid, i) =>
            i === index ? { ...bid, price: payment + 1n } : bid,
          );
          assert.ok(
            !clearProportionalShare(above, budget, cap).some((winner) => winner.index === index),
          );
        }
      }),
      { seed, numRuns: 150 },
    );
  });

  it("selects everyone who asks its fair share and respects reserves", () => {
    const bids = withIds([
      { price: 100n, utility: 1 },
      { price: 200n, utility: 2 },
      { price: 300n, utility: 3 },
    ]);
    assert.equal(clearProportionalShare(bids, 600n).length, 3);
    assert.equal(clearProportionalShare(bids, 599n).length, 2);
    const capped = bids.map((bid) => ({ ...bid, reserve: 150n * BigInt(bid.utility) }));
    for (const { payment, index } of clearProportionalShare(capped, 10_000n)) {
      assert.ok(payment <= ((capped[index] as ScoredBid).reserve ?? 0n));
    }
    const overReserve = bids.map((bid) => ({ ...bid, reserve: 50n }));
    assert.equal(clearProportionalShare(overReserve, 10_000n).length, 0);
  });
});

const labels = ["0", "1", "2", "3"];
const spec: TaskSpec = taskSpecSchema.parse({
  model: { name: "mlp" },
  data: { labels },
  rounds: 2,
  holdersPerRound: 2,
  minHolders: 1,
  roundDeadlineS: 60,
  privacy: { epsilon: 4, delta: 1e-5 },
});
const now = new Date("2030-01-01T00:00:00Z");

const auctionBid = (i: number, label: string, price: bigint, samples = 500): AuctionBid => ({
  id: `bid-${i}`,
  holderId: `holder-${i}`,
  price,
  samples,
  labelCoverage: {
    [label]: 0.9,
    [labels[(labels.indexOf(label) + 1) % labels.length] as string]: 0.1,
  },
  throughput: 1_000,
  modelTier: 1,
  epsilonCost: 1,
  availableFrom: now,
  availableUntil: new Date(now.getTime() + 86_400_000),
});

describe("budget-feasible auction with coverage groups", () => {
  it("keeps a cheap over-represented label from taking the whole budget", () => {
    // Label 0 is offered very cheaply by many holders; the others cost more.
    const bids = [
      ...Array.from({ length: 20 }, (_, i) => auctionBid(i, "0", 10n)),
      ...Array.from({ length: 5 }, (_, i) => auctionBid(100 + i, "1", 80n)),
      ...Array.from({ length: 5 }, (_, i) => auctionBid(200 + i, "2", 80n)),
      ...Array.from({ length: 5 }, (_, i) => auctionBid(300 + i, "3", 80n)),
    ];
    const population = { "0": 1, "1": 1, "2": 1, "3": 1 };
    const outcome = clearAuction({
      bids,
      budget: 2_000n,
      spec: { ...spec, coverage: { maxLabelTv: 0.1, population } },
      now,
    });
    for (const label of labels) assert.ok(outcome.winners.some((winner) => winner.group === label));
    assert.ok(outcome.labelTv <= 0.1, `label TV ${outcome.labelTv}`);
    assert.equal(outcome.coverageMet, true);
    assert.ok(outcome.totalPayment <= 2_000n);
    for (const group of outcome.groups) assert.ok(group.spent <= group.budget);
  });

  it("leaves out ineligible bids with reasons, independent of price", () => {
    const tooPrivate = { ...auctionBid(1, "1", 1n), epsilonCost: 9 };
    const tooShort = { ...auctionBid(2, "2", 1n), availableUntil: new Date(now.getTime() + 1_000) };
    const offTopic = { ...auctionBid(3, "0", 1n), labelCoverage: { "9": 1 } };
    const outcome = clearAuction({
      bids: [tooPrivate, tooShort, offTopic],
      budget: 1_000n,
      spec,
      now,
    });
    assert.equal(outcome.winners.length, 0);
    assert.deepEqual(outcome.ineligible.map((entry) => entry.bidId).sort(), [
      "bid-1",
      "bid-2",
      "bid-3",
    ]);
    assert.match(
      outcome.ineligible.find((entry) => entry.bidId === "bid-1")?.reasons[0] ?? "",
      /ε cost/,
    );
    assert.equal(outcome.enoughHolders, false);
  });

  it("stays within budget and individually rational over random multi-group instances", () => {
    const arbitraryBid = fc.record({
      label: fc.constantFrom(...labels),
      price: fc.bigInt({ min: 1n, max: 5_000n }),
      samples: fc.integer({ min: 1, max: 5_000 }),
      throughput: fc.integer({ min: 1, max: 5_000 }),
    });
    fc.assert(
      fc.property(
        fc.array(arbitraryBid, { minLength: 1, maxLength: 60 }),
        fc.bigInt({ min: 1n, max: 100_000n }),
        (raw, budget) => {
          const bids = raw.map((entry, i) => ({
            ...auctionBid(i, entry.label, entry.price, entry.samples),
            throughput: entry.throughput,
          }));
          const outcome = clearAuction({ bids, budget, spec, now });
          assert.ok(outcome.totalPayment <= budget);
          for (const winner of outcome.winners) assert.ok(winner.payment >= winner.price);
        },
      ),
      { seed, numRuns: 150 },
    );
  });
});

describe("selection-bias metrics", () => {
  it("measures total variation and participation Gini", () => {
    assert.equal(totalVariation({ a: 1, b: 0 }, { a: 0, b: 1 }, ["a", "b"]), 1);
    assert.equal(totalVariation({ a: 0.5, b: 0.5 }, { a: 0.5, b: 0.5 }, ["a", "b"]), 0);
    assert.equal(gini([3, 3, 3]), 0);
    assert.ok(Math.abs(gini([0, 0, 0, 4]) - 0.75) < 1e-12);
  });
});
