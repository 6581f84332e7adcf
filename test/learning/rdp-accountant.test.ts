import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isAgoraError } from "../../services/errors/agora-error.ts";
import { PrivacyLedger } from "../../services/learning/privacy/privacy-ledger.ts";
import {
  computeRdp,
  deltaFromRdp,
  epsilonFromRdp,
} from "../../services/learning/privacy/rdp-accountant.ts";
import { logErfc, logGamma } from "../../services/learning/privacy/special-functions.ts";

const closeTo = (actual: number, expected: number, rtol: number) =>
  assert.ok(Math.abs(actual - expected) <= rtol * Math.abs(expected), `${actual} ≉ ${expected}`);

/**
 * Reference values are those asserted by the test suite of Google's
 * dp_accounting library (rdp_privacy_accountant_test.py), the successor of
 * TensorFlow Privacy's RDP accountant.
 */
describe("RDP accountant for the subsampled Gaussian mechanism", () => {
  it("matches dp_accounting: q = 0.01, σ = 2.5, 50 steps, integer and fractional orders", () => {
    const rdp = computeRdp(0.01, 2.5, 50, [1.5, 2.5, 5, 50, 100, Number.POSITIVE_INFINITY]);
    const expected = [6.70579741e-4, 1.0854871e-3, 2.18075656e-3, 2.38460375e-2, 1.67416308e2];
    for (const [i, value] of expected.entries()) closeTo(rdp[i] as number, value, 1e-4);
    assert.equal(rdp[5], Number.POSITIVE_INFINITY);
  });

  it("matches dp_accounting's ε for constant (pure-DP) RDP: 1.32783806176 at order 32", () => {
    const orders = Array.from({ length: 31 }, (_, i) => i + 2);
    const { epsilon, order } = epsilonFromRdp(
      orders,
      orders.map(() => 1.1),
      1e-5,
    );
    closeTo(epsilon, 1.32783806176, 1e-9);
    assert.equal(order, 32);
    closeTo(
      deltaFromRdp(
        orders,
        orders.map(() => 1.1),
        1.32783806176,
      ).delta,
      1e-5,
      1e-6,
    );
  });

  it("matches dp_accounting: the Gaussian with σ = 4.530877117 is (1, 1e-6)-DP", () => {
    const orders = Array.from({ length: 99_000 }, (_, i) => 0.001 * (i + 1000)).filter(
      (o) => o > 1,
    );
    const rdp = computeRdp(1, 4.530877117, 1, orders);
    closeTo(epsilonFromRdp(orders, rdp, 1e-6).epsilon, 1, 1e-6);
    closeTo(deltaFromRdp(orders, rdp, 1).delta, 1e-6, 1e-4);
  });

  it("has the limiting cases right", () => {
    assert.deepEqual(computeRdp(0, 1, 100, [2, 3.5]), [0, 0]);
    assert.deepEqual(computeRdp(0.1, 0, 1, [2]), [Number.POSITIVE_INFINITY]);
    closeTo(computeRdp(1, 2.5, 1, [3.5])[0] as number, 3.5 / (2 * 2.5 ** 2), 1e-12);
    assert.throws(
      () => computeRdp(1.5, 1, 1),
      (e) => isAgoraError(e) && e.kind === "invalid",
    );
    assert.throws(
      () => epsilonFromRdp([2], [1], 0),
      (e) => isAgoraError(e) && e.kind === "invalid",
    );
  });

  it("uses accurate special functions", () => {
    closeTo(logGamma(10), Math.log(362880), 1e-12);
    closeTo(logGamma(0.5), 0.5 * Math.log(Math.PI), 1e-12);
    closeTo(logErfc(0.5), Math.log(0.4795001221869535), 1e-12);
    closeTo(logErfc(3), Math.log(2.209049699858544e-5), 1e-10);
    // erfc(30) ≈ 2.6e-393 underflows; its log follows the asymptotic series e^(−x²)/(x√π)·(1 − 1/(2x²) + 3/(4x⁴)).
    closeTo(
      logErfc(30),
      -900 - Math.log(30 * Math.sqrt(Math.PI)) + Math.log(1 - 1 / 1800 + 3 / 3_240_000),
      1e-9,
    );
    closeTo(logErfc(-2.5), Math.log(1.999593047982555), 1e-12);
  });

  it("a holder's ledger composes charges across tasks and counts a task once", () => {
    const ledger = new PrivacyLedger();
    const charge = { taskId: "t1", samplingRate: 0.01, noiseMultiplier: 1.1, steps: 1000 };
    const forecast = ledger.epsilonIf(charge, 1e-5).epsilon;
    ledger.charge(charge);
    ledger.charge(charge);
    assert.equal(ledger.charges.length, 1);
    const one = ledger.spent(1e-5).epsilon;
    closeTo(one, forecast, 1e-12);
    ledger.charge({ ...charge, taskId: "t2" });
    const two = ledger.spent(1e-5).epsilon;
    assert.ok(two > one && two < 2 * one, `${one} then ${two}`);
  });
});
