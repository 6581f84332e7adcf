import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { AgoraError } from "../../services/errors/agora-error.ts";
import { splitByLargestRemainder } from "../../services/settlement/payouts/largest-remainder.ts";
import {
  type PayoutParticipant,
  planPayouts,
} from "../../services/settlement/payouts/payout-plan.ts";

// Pinned so a failure reproduces; fast-check prints the counterexample.
const seed = 20261124;

const participantsArbitrary = fc
  .uniqueArray(
    fc.record({
      holderId: fc.stringMatching(/^h[0-9a-z]{1,6}$/),
      basePrice: fc.bigInt({ min: 0n, max: 10n ** 9n }),
      contribution: fc.double({ min: -1, max: 1, noNaN: true }),
      standing: fc.constantFrom(
        "contributor",
        "contributor",
        "contributor",
        "free_rider",
        "attacker",
      ),
    }),
    { selector: (p) => p.holderId, minLength: 1, maxLength: 40 },
  )
  .map((list) => list as PayoutParticipant[]);

const planArbitrary = participantsArbitrary.chain((participants) => {
  const base = participants.reduce((sum, p) => sum + p.basePrice, 0n);
  return fc.record({
    participants: fc.constant(participants),
    budget: fc.bigInt({ min: base === 0n ? 1n : base, max: base + 10n ** 12n }),
  });
});

describe("largest-remainder split", () => {
  it("hands out exactly the total, each part within one unit of its exact share", () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 2n ** 128n }),
        fc.array(fc.bigInt({ min: 0n, max: 2n ** 64n }), { minLength: 1, maxLength: 30 }),
        (total, raw) => {
          const weights = raw.map((weight, i) => ({ key: `k${i}`, weight }));
          const parts = splitByLargestRemainder(total, weights);
          const sumWeights = raw.reduce((a, b) => a + b, 0n);
          const sum = [...parts.values()].reduce((a, b) => a + b, 0n);
          assert.equal(sum, sumWeights === 0n ? 0n : total);
          for (const { key, weight } of weights) {
            if (sumWeights === 0n) continue;
            const floor = (total * weight) / sumWeights;
            const part = parts.get(key) ?? -1n;
            assert.ok(part === floor || part === floor + 1n, `${key}: ${part} vs ${floor}`);
          }
        },
      ),
      { seed, numRuns: 500 },
    );
  });

  it("splits 100 three ways as 34/33/33, the extra unit to the earliest tie", () => {
    const parts = splitByLargestRemainder(100n, [
      { key: "a", weight: 1n },
      { key: "b", weight: 1n },
      { key: "c", weight: 1n },
    ]);
    assert.deepEqual([...parts.values()], [34n, 33n, 33n]);
  });
});

describe("payout planner", () => {
  it("never pays more than the budget, and the remainder is exactly what is left", () => {
    fc.assert(
      fc.property(planArbitrary, ({ participants, budget }) => {
        const plan = planPayouts({ budget, participants });
        const sum = plan.lines.reduce((total, line) => total + line.amount, 0n);
        assert.equal(sum, plan.total);
        assert.ok(plan.total <= budget);
        assert.equal(plan.remainder, budget - plan.total);
        for (const line of plan.lines) {
          assert.ok(line.amount >= 0n && line.bonus >= 0n);
          assert.equal(line.amount, line.base + line.bonus);
        }
      }),
      { seed, numRuns: 400 },
    );
  });

  it("hands out the whole bonus pool when anyone contributed positively", () => {
    fc.assert(
      fc.property(planArbitrary, ({ participants, budget }) => {
        const plan = planPayouts({ budget, participants });
        const anyPositive = participants.some(
          (p) => p.standing === "contributor" && p.contribution > 0,
        );
        const bonusTotal = plan.lines.reduce((sum, line) => sum + line.bonus, 0n);
        const pool = budget - participants.reduce((sum, p) => sum + p.basePrice, 0n);
        assert.equal(bonusTotal, anyPositive ? pool : 0n);
      }),
      { seed, numRuns: 400 },
    );
  });

  it("is monotone: a contributor with a higher score never gets a smaller bonus", () => {
    fc.assert(
      fc.property(planArbitrary, ({ participants, budget }) => {
        const plan = planPayouts({ budget, participants });
        const contributors = plan.lines
          .map((line, i) => ({ line, score: Math.max(0, participants[i]?.contribution ?? 0) }))
          .filter(({ line }) => line.standing === "contributor");
        for (const a of contributors) {
          for (const b of contributors) {
            if (a.score > b.score) assert.ok(a.line.bonus >= b.line.bonus);
          }
        }
      }),
      { seed, numRuns: 300 },
    );
  });

  it("raising one contributor's score never lowers its payout", () => {
    fc.assert(
      fc.property(
        planArbitrary,
        fc.nat(),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (input, pick, raise) => {
          const index = pick % input.participants.length;
          const before = planPayouts(input);
          const raised = input.participants.map((p, i) =>
            i === index ? { ...p, contribution: Math.max(0, p.contribution) + raise } : p,
          );
          const after = planPayouts({ ...input, participants: raised });
          assert.ok((after.lines[index]?.amount ?? 0n) >= (before.lines[index]?.amount ?? 0n));
        },
      ),
      { seed, numRuns: 300 },
    );
  });

  it("with an agreed bonus pool, pays at most the bases plus that pool, never above the budget", () => {
    fc.assert(
      fc.property(
        planArbitrary,
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.constantFrom("pay" as const, "forfeit" as const),
        ({ participants, budget }, fraction, freeRiderBase) => {
          const base = participants.reduce((sum, p) => sum + p.basePrice, 0n);
          const bonusPool = ((budget - base) * BigInt(Math.floor(fraction * 1_000))) / 1_000n;
          const plan = planPayouts({ budget, participants, bonusPool, rule: { freeRiderBase } });
          const bonusTotal = plan.lines.reduce((sum, line) => sum + line.bonus, 0n);
          assert.ok(bonusTotal <= bonusPool);
          assert.ok(plan.total <= base + bonusPool && plan.total <= budget);
          assert.equal(plan.remainder, budget - plan.total);
        },
      ),
      { seed, numRuns: 300 },
    );
  });

  it("gives no bonus to a contributor whose contribution is zero or negative", () => {
    fc.assert(
      fc.property(planArbitrary, ({ participants, budget }) => {
        const plan = planPayouts({ budget, participants });
        plan.lines.forEach((line, i) => {
          if ((participants[i]?.contribution ?? 0) <= 0) assert.equal(line.bonus, 0n);
        });
      }),
      { seed, numRuns: 300 },
    );
  });

  it("does not depend on the order participants are listed in", () => {
    fc.assert(
      fc.property(planArbitrary, fc.nat(), ({ participants, budget }, rotation) => {
        const shift = rotation % participants.length;
        const rotated = [...participants.slice(shift), ...participants.slice(0, shift)];
        const amountsOf = (list: PayoutParticipant[]) =>
          new Map(
            planPayouts({ budget, participants: list }).lines.map((l) => [l.holderId, l.amount]),
          );
        assert.deepEqual(amountsOf(rotated), amountsOf(participants));
      }),
      { seed, numRuns: 200 },
    );
  });

  it("pays free riders and attackers what the rule says, and never a bonus", () => {
    const participants: PayoutParticipant[] = [
      { holderId: "good", basePrice: 100n, contribution: 0.3, standing: "contributor" },
      { holderId: "lazy", basePrice: 100n, contribution: 0.2, standing: "free_rider" },
      { holderId: "evil", basePrice: 100n, contribution: 0.9, standing: "attacker" },
    ];
    const forfeit = planPayouts({ budget: 1_000n, participants });
    assert.deepEqual(
      forfeit.lines.map((line) => [line.holderId, line.base, line.bonus]),
      [
        ["good", 100n, 700n],
        ["lazy", 0n, 0n],
        ["evil", 0n, 0n],
      ],
    );
    assert.equal(forfeit.remainder, 200n);
    const paid = planPayouts({ budget: 1_000n, participants, rule: { freeRiderBase: "pay" } });
    assert.equal(paid.lines[1]?.amount, 100n);
  });

  it("refuses base prices over the budget and duplicate holders", () => {
    const isInvalid = (error: unknown) => error instanceof AgoraError && error.kind === "invalid";
    assert.throws(
      () =>
        planPayouts({
          budget: 10n,
          participants: [
            { holderId: "a", basePrice: 11n, contribution: 1, standing: "contributor" },
          ],
        }),
      isInvalid,
    );
    const dup: PayoutParticipant = {
      holderId: "a",
      basePrice: 1n,
      contribution: 1,
      standing: "contributor",
    };
    assert.throws(() => planPayouts({ budget: 10n, participants: [dup, dup] }), isInvalid);
  });
});
