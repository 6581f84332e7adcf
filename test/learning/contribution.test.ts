import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { CoalitionUtility } from "../../services/learning/contribution/coalition-utility.ts";
import { exactShapley, leaveOneOut } from "../../services/learning/contribution/exact-shapley.ts";
import { gtgShapley } from "../../services/learning/contribution/gtg-shapley.ts";
import { seededRng } from "../../services/learning/util/random.ts";

const close = (actual: number, expected: number, tolerance = 1e-9) =>
  assert.ok(
    Math.abs(actual - expected) <= tolerance,
    `${actual} is not ${expected} ± ${tolerance}`,
  );

/** u(S) = Σ w_i: every player's Shapley value is its own weight. */
const additive =
  (weights: number[]): CoalitionUtility =>
  async (members) =>
    members.reduce((sum, i) => sum + (weights[i] ?? 0), 0);

/**
 * A saturating "accuracy" game like FL's: value grows with the coalition's
 * useful data but flattens out, an attacker drags it down, free riders add nothing.
 */
const accuracyGame =
  (data: number[]): CoalitionUtility =>
  async (members) => {
    const useful = members.reduce((sum, i) => sum + (data[i] ?? 0), 0);
    return 0.1 + 0.88 * (1 - Math.exp(-useful / 2));
  };

describe("exact Shapley", () => {
  it("gives each player of an additive game its own weight", async () => {
    const weights = [0.3, 0, 0.1, 0.25, -0.05];
    const { values, evaluations } = await exactShapley(weights.length, additive(weights));
    for (const [i, value] of values.entries()) close(value, weights[i] ?? Number.NaN);
    assert.equal(evaluations, 2 ** weights.length);
  });

  it("solves the glove game: one left glove, two right gloves", async () => {
    // Player 0 holds the only left glove; a pair is worth 1.
    const glove: CoalitionUtility = async (members) =>
      members.includes(0) && (members.includes(1) || members.includes(2)) ? 1 : 0;
    const { values } = await exactShapley(3, glove);
    close(values[0] ?? 0, 2 / 3);
    close(values[1] ?? 0, 1 / 6);
    close(values[2] ?? 0, 1 / 6);
  });

  it("is efficient and symmetric, and refuses rounds too large to enumerate", async () => {
    const data = [1, 1, 2, 0, 0.5, 1, 0, 3];
    const game = accuracyGame(data);
    const { values } = await exactShapley(data.length, game);
    const all = data.map((_, i) => i);
    close(
      values.reduce((a, b) => a + b, 0),
      (await game(all)) - (await game([])),
      1e-9,
    );
    close(values[0] ?? 0, values[1] ?? 1);
    close(values[3] ?? 1, 0);
    await assert.rejects(exactShapley(11, game));
  });

  it("leave-one-out misses redundancy that Shapley shares", async () => {
    // Two identical data holders: each is redundant given the other.
    const twin: CoalitionUtility = async (members) => (members.some((i) => i < 2) ? 1 : 0);
    const loo = await leaveOneOut(3, twin);
    assert.deepEqual(loo.values, [0, 0, 0]);
    const shapley = await exactShapley(3, twin);
    close(shapley.values[0] ?? 0, 0.5);
  });
});

describe("GTG-Shapley", () => {
  it("matches exact Shapley closely on an FL-like game with far fewer evaluations", async () => {
    const data = [1.5, 0.4, 1, 0, 0.8, 0.3, 0, 2, 0.6, 1.1];
    const game = accuracyGame(data);
    const exact = await exactShapley(data.length, game);
    const gtg = await gtgShapley(data.length, game, { random: seededRng(7), maxPermutations: 60 });
    const errors = gtg.values.map((value, i) => Math.abs(value - (exact.values[i] ?? 0)));
    const scale = Math.max(...exact.values);
    assert.ok(
      Math.max(...errors) < 0.25 * scale,
      `max error ${Math.max(...errors)} vs scale ${scale}`,
    );
    assert.ok(gtg.evaluations < exact.evaluations / 2, `${gtg.evaluations} evaluations`);
    // Free riders (no data) are estimated at zero.
    close(gtg.values[3] ?? 1, 0);
    close(gtg.values[6] ?? 1, 0);
  });

  it("skips a round that did not move the model", async () => {
    const flat: CoalitionUtility = async () => 0.5;
    const result = await gtgShapley(4, flat);
    assert.equal(result.skipped, true);
    assert.deepEqual(result.values, [0, 0, 0, 0]);
    assert.equal(result.evaluations, 2);
  });

  it("stays within an evaluation budget by sampling whole permutations only", async () => {
    const data = [1.5, 0.4, 1, 0, 0.8, 0.3, 0, 2, 0.6, 1.1];
    const game = accuracyGame(data);
    let calls = 0;
    const counted: CoalitionUtility = async (members) => {
      calls += 1;
      return game(members);
    };
    const budget = Math.floor(0.2 * 2 ** data.length);
    const gtg = await gtgShapley(data.length, counted, {
      random: seededRng("budget"),
      withinRoundTolerance: 0,
      maxEvaluations: budget,
    });
    assert.ok(gtg.evaluations <= budget, `${gtg.evaluations} evaluations`);
    assert.equal(calls, gtg.evaluations);
    assert.ok(gtg.permutations >= data.length, `${gtg.permutations} permutations`);
    // Whole permutations keep efficiency: the estimates add up to u(N) − u(∅).
    const everyone = data.map((_, i) => i);
    close(
      gtg.values.reduce((a, b) => a + b, 0),
      (await game(everyone)) - (await game([])),
      1e-9,
    );
    const exact = await exactShapley(data.length, game);
    const order = (values: number[]) =>
      values.map((_, i) => i).sort((a, b) => (values[b] ?? 0) - (values[a] ?? 0));
    assert.deepEqual(order(gtg.values).slice(0, 3), order(exact.values).slice(0, 3));
  });

  it("is reproducible with a seeded source of randomness", async () => {
    const game = accuracyGame([1, 2, 0.5, 0.1, 0.7]);
    const a = await gtgShapley(5, game, { random: seededRng("audit") });
    const b = await gtgShapley(5, game, { random: seededRng("audit") });
    assert.deepEqual(a.values, b.values);
  });
});
