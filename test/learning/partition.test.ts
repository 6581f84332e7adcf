import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { isAgoraError } from "../../services/errors/agora-error.ts";
import { labelHistogram, subset } from "../../services/learning/data/dataset.ts";
import { federatedSplit } from "../../services/learning/data/federated-split.ts";
import { loadMnist } from "../../services/learning/data/mnist.ts";
import {
  partitionDirichlet,
  partitionIid,
  partitionShards,
} from "../../services/learning/data/partition.ts";
import { seededRng } from "../../services/learning/util/random.ts";

const mnist = loadMnist();
const pool = Array.from({ length: 2000 }, (_, i) => i * 5);
const sortedUnion = (parts: number[][]) => parts.flat().sort((a, b) => a - b);
const distinctLabels = (indices: number[]) => new Set(indices.map((i) => mnist.labels[i])).size;

describe("MNIST and partitioners", () => {
  it("loads the package's 10,000 labelled digits", () => {
    assert.equal(mnist.labels.length, 10_000);
    assert.equal(mnist.images.length, 10_000 * 784);
    assert.ok(labelHistogram(mnist.labels).every((count) => count > 800));
  });

  it("every partitioner covers the pool exactly once (property)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }),
        fc.integer(),
        fc.double({ min: 0.05, max: 10, noNaN: true }),
        (holders, seed, alpha) => {
          const expected = [...pool].sort((a, b) => a - b);
          assert.deepEqual(sortedUnion(partitionIid(pool, holders, seededRng(seed))), expected);
          assert.deepEqual(
            sortedUnion(partitionDirichlet(pool, mnist.labels, holders, alpha, seededRng(seed))),
            expected,
          );
        },
      ),
      { numRuns: 25, seed: 4242 },
    );
    const shards = partitionShards(pool, mnist.labels, 20, 2, seededRng(1));
    assert.equal(new Set(shards.flat()).size, shards.flat().length);
    assert.equal(shards.flat().length, 2000);
  });

  it("IID shares are balanced and cover most labels", () => {
    const parts = partitionIid(pool, 10, seededRng(3));
    assert.ok(parts.every((p) => p.length === 200));
    assert.ok(parts.every((p) => distinctLabels(p) === 10));
  });

  it("label shards give each holder about two labels", () => {
    const parts = partitionShards(pool, mnist.labels, 50, 2, seededRng(5));
    const labels = parts.map(distinctLabels);
    // A shard can straddle a label boundary, so a few holders see 3 or 4.
    assert.ok(labels.every((n) => n <= 4));
    assert.ok(labels.filter((n) => n <= 2).length >= 40, labels.join(","));
  });

  it("small Dirichlet α is more skewed than large α", () => {
    const mean = (alpha: number) => {
      const parts = partitionDirichlet(pool, mnist.labels, 20, alpha, seededRng(9)).filter(
        (p) => p.length > 0,
      );
      return parts.reduce((s, p) => s + distinctLabels(p), 0) / parts.length;
    };
    assert.ok(mean(0.1) < 5, `α = 0.1: ${mean(0.1)}`);
    assert.ok(mean(100) > 9.5, `α = 100: ${mean(100)}`);
    assert.throws(
      () => partitionDirichlet(pool, mnist.labels, 3, 0, seededRng(1)),
      (e) => isAgoraError(e) && e.kind === "invalid",
    );
  });

  it("keeps the owner's validation and test sets disjoint from every holder", () => {
    const split = federatedSplit(mnist, {
      holders: 30,
      scheme: { kind: "shards", shardsPerHolder: 2 },
      validationSize: 500,
      testSize: 500,
      seed: "s",
    });
    const owner = new Set([...split.validation, ...split.test]);
    assert.equal(owner.size, 1000);
    assert.ok(split.holders.flat().every((i) => !owner.has(i)));
    assert.equal(split.holders.flat().length, 9000);
    assert.deepEqual(
      federatedSplit(mnist, {
        holders: 30,
        scheme: { kind: "shards", shardsPerHolder: 2 },
        validationSize: 500,
        testSize: 500,
        seed: "s",
      }),
      split,
    );
    assert.equal(subset(mnist, split.validation).labels.length, 500);
  });
});
