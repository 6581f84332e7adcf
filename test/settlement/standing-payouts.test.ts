import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { AuditInputs } from "../../services/audit/auditor/audit-inputs.ts";
import { contributionTotals } from "../../services/audit/auditor/audit-inputs.ts";
import { checkFairness } from "../../services/audit/auditor/check-fairness.ts";
import { checkFreeRiders } from "../../services/audit/auditor/check-free-riders.ts";
import { checkPayouts } from "../../services/audit/auditor/check-payouts.ts";
import {
  type RoundStanding,
  standingFlags,
  standingRule,
  standingThresholds,
  type UpdateEvidence,
} from "../../services/learning/contribution/round-standing.ts";
import { baseOnlyHolders } from "../../services/settlement/payouts/base-only.ts";
import { type PayoutLine, planPayouts } from "../../services/settlement/payouts/payout-plan.ts";
import { taskContributions } from "../../services/settlement/pipeline/task-contributions.ts";
import type { ContributionRecord } from "../../services/store/repositories/contributions-repository.ts";
import type { PayoutRecord } from "../../services/store/repositories/payouts-repository.ts";
import { newTask } from "../store/fixtures.ts";

const holders = ["good", "idle", "poison", "other"];

/**
 * One median round as the scorer stores it: every row carries the round's
 * standing (evidence, thresholds, flags). `idle` sent the global model back
 * (yet scores a little by chance), `poison` sits far from the centre.
 */
function scoredRound(round: number, flagsOverride?: Record<string, string>): ContributionRecord[] {
  const evidence: UpdateEvidence[] = [
    {
      holderId: "good",
      relativeNorm: 0.02,
      distanceToCentre: 1,
      usedByRule: true,
      duplicateOf: null,
    },
    {
      holderId: "idle",
      relativeNorm: 0,
      distanceToCentre: 0.8,
      usedByRule: true,
      duplicateOf: null,
    },
    {
      holderId: "poison",
      relativeNorm: 0.9,
      distanceToCentre: 30,
      usedByRule: true,
      duplicateOf: null,
    },
    {
      holderId: "other",
      relativeNorm: 0.02,
      distanceToCentre: 1.1,
      usedByRule: true,
      duplicateOf: null,
    },
  ];
  const scores = new Map([
    ["good", 0.06],
    ["idle", 0.01],
    ["poison", 0.002],
    ["other", 0.03],
  ]);
  const standing: RoundStanding = {
    rule: standingRule,
    thresholds: { ...standingThresholds },
    strategy: "median",
    validationExamples: 300,
    evidence,
    flags: (flagsOverride ??
      standingFlags({
        strategy: "median",
        evidence,
        scores,
        validationExamples: 300,
      })) as RoundStanding["flags"],
  };
  return holders.map((holderId) => ({
    taskId: "task-standing",
    round,
    holderId,
    method: "exact-shapley",
    score: scores.get(holderId) ?? 0,
    inputs: { version: 1, method: "exact-shapley", standing },
    computedAt: new Date(0),
  }));
}

const agreedBase = 1_000n;
const budget = 10_000n;

/** Settlement's table for these holders, as the pipeline plans it from the stored scores. */
function settleAs(
  rows: readonly ContributionRecord[],
  freeRiderBase: "pay" | "forfeit",
  everyone: readonly string[] = holders,
  baseOnly: ReadonlySet<string> = new Set(),
) {
  const contributions = taskContributions(everyone, rows, undefined, baseOnly);
  const table = planPayouts({
    budget,
    participants: everyone.map((holderId) => ({
      holderId,
      basePrice: agreedBase,
      contribution: contributions.byHolder.get(holderId)?.total ?? 0,
      standing: contributions.byHolder.get(holderId)?.standing ?? "free_rider",
    })),
    rule: { freeRiderBase },
  });
  return { contributions, table };
}

const plan = (rows: readonly ContributionRecord[], freeRiderBase: "pay" | "forfeit") =>
  settleAs(rows, freeRiderBase).table;

/** The payout table as settlement stores it, every line sent on the sandbox rail. */
function storedPayouts(lines: readonly PayoutLine[]): PayoutRecord[] {
  return lines.map((line, leafIndex) => ({
    id: `payout-${leafIndex}`,
    taskId: "task-standing",
    holderId: line.holderId,
    leafIndex,
    rail: "sandbox",
    account: line.holderId,
    base: line.base,
    bonus: line.bonus,
    amount: line.amount,
    status: "sent",
    externalRef: null,
  }));
}

/** What the auditor loads for the task, with the payout table settlement stored. */
function auditInputs(rows: ContributionRecord[], freeRiderBase: "pay" | "forfeit"): AuditInputs {
  const payouts = storedPayouts(plan(rows, freeRiderBase).lines);
  return {
    task: {
      ...newTask({ id: "task-standing", rail: "sandbox", budget }),
      status: "settled",
    } as AuditInputs["task"],
    agreements: holders.map((holderId) => ({
      holderId,
      price: agreedBase,
      terms: { freeRiderBase },
    })),
    holders: new Map(),
    contributions: rows,
    payouts,
    privacyCharges: new Map(),
    selection: undefined,
    selectedBids: [],
    rounds: [],
    updates: holders.map((holderId) => ({ holderId }) as AuditInputs["updates"][number]),
  };
}

describe("flagged holders at settlement", () => {
  const rows = [...scoredRound(0), ...scoredRound(1)];

  it("reads the stored round standings: the copy is a free rider, the outlier an attacker", () => {
    const contributions = taskContributions(holders, rows);
    assert.deepEqual(
      holders.map((id) => [id, contributions.byHolder.get(id)?.standing]),
      [
        ["good", "contributor"],
        ["idle", "free_rider"],
        ["poison", "attacker"],
        ["other", "contributor"],
      ],
    );
  });

  it("pays what the agreement says: no bonus to the free rider, its base only under 'pay', nothing to the attacker", () => {
    const forfeit = plan(rows, "forfeit");
    assert.deepEqual(
      forfeit.lines.map((line) => [line.holderId, line.base, line.bonus]),
      [
        // The 6,000 pool split 2 : 1 between the two contributors.
        ["good", 1_000n, 4_000n],
        ["idle", 0n, 0n],
        ["poison", 0n, 0n],
        ["other", 1_000n, 2_000n],
      ],
    );
    const pay = plan(rows, "pay");
    assert.deepEqual(
      pay.lines.map((line) => [line.holderId, line.amount]),
      [
        ["good", 5_000n],
        ["idle", 1_000n],
        ["poison", 0n],
        ["other", 3_000n],
      ],
    );
  });

  it("is what the auditor rebuilds from the stored evidence, under either rule", () => {
    for (const rule of ["forfeit", "pay"] as const) {
      const inputs = auditInputs(rows, rule);
      const totals = contributionTotals(rows, "exact-shapley");
      const freeRiders = checkFreeRiders(inputs, totals, "exact-shapley");
      assert.equal(freeRiders.status, "pass", JSON.stringify(freeRiders.findings));
      assert.deepEqual(freeRiders.metrics, { freeRiders: ["idle"], attackers: ["poison"] });
      const payouts = checkPayouts(inputs, totals, null, "exact-shapley");
      assert.equal(payouts.result.status, "pass", JSON.stringify(payouts.result.findings));
    }
  });

  it("fails a round whose stored flags the evidence does not give, and an attacker paid", () => {
    // The scorer (or someone after it) cleared the outlier's flag; settlement paid it a share.
    const tampered = [
      ...scoredRound(0, { idle: "free_rider" }),
      ...scoredRound(1, { idle: "free_rider" }),
    ];
    const inputs = auditInputs(tampered, "forfeit");
    const paidPoison = inputs.payouts.find((line) => line.holderId === "poison");
    assert.ok(
      paidPoison !== undefined && paidPoison.amount > 0n,
      "settlement trusted the stored flags",
    );
    const totals = contributionTotals(tampered, "exact-shapley");
    const result = checkFreeRiders(inputs, totals, "exact-shapley");
    assert.equal(result.status, "fail");
    assert.deepEqual(result.findings.map((finding) => finding.code).sort(), [
      "attacker_paid",
      "standing_flags_mismatch",
      "standing_flags_mismatch",
    ]);
    assert.equal(checkPayouts(inputs, totals, null, "exact-shapley").result.status, "fail");
  });
});

describe("a winner the participation plan never invited", () => {
  const rows = [...scoredRound(0), ...scoredRound(1)];
  const everyone = [...holders, "spare"];

  /** Settlement as the pipeline runs it, with `spare`'s agreement saying `roundsInvited: 0`. */
  const settle = () => settleAs(rows, "forfeit", everyone, new Set(["spare"]));

  /** The auditor's inputs for that table, with the participation plan the selection stored. */
  function auditedWith(plannedRounds: string[][]): AuditInputs {
    const base = auditInputs(rows, "forfeit");
    return {
      ...base,
      agreements: everyone.map((holderId) => ({
        holderId,
        price: agreedBase,
        terms: { freeRiderBase: "forfeit", roundsInvited: holderId === "spare" ? 0 : 2 },
      })),
      payouts: storedPayouts(settle().table.lines),
      selection: { rounds: plannedRounds },
    };
  }

  it("is owed its base and no bonus: it sold participation nobody asked for", () => {
    const { contributions, table } = settle();
    assert.equal(contributions.byHolder.get("spare")?.standing, "contributor");
    assert.deepEqual(
      table.lines.map((line) => [line.holderId, line.base, line.bonus]),
      [
        // The pool is 1,000 smaller by spare's base, split by the same scores.
        ["good", 1_000n, 3_333n],
        ["idle", 0n, 0n],
        ["poison", 0n, 0n],
        ["other", 1_000n, 1_667n],
        ["spare", 1_000n, 0n],
      ],
    );
  });

  it("passes the audit when the stored plan agrees, and fails it when the plan did invite it", () => {
    const totals = contributionTotals(rows, "exact-shapley");
    const honest = auditedWith([holders, holders]);
    assert.equal(checkFreeRiders(honest, totals, "exact-shapley").status, "pass");
    assert.equal(checkPayouts(honest, totals, null, "exact-shapley").result.status, "pass");

    // The plan invited spare to round 1 and it sent nothing: a no-show, not owed its base.
    const invited = auditedWith([holders, [...holders, "spare"]]);
    const freeRiders = checkFreeRiders(invited, totals, "exact-shapley");
    assert.deepEqual(
      freeRiders.findings.map((finding) => [finding.code, finding.holderId]),
      [["paid_without_update", "spare"]],
    );
    assert.equal(checkPayouts(invited, totals, null, "exact-shapley").result.status, "fail");
  });
});

describe("fairness among the holders no round flagged", () => {
  // `other` now scores below the copy `idle` (0.004 against 0.01 a round): idle still forfeits.
  const rows = [...scoredRound(0), ...scoredRound(1)].map((row) =>
    row.holderId === "other" ? { ...row, score: 0.004 } : row,
  );
  const totals = contributionTotals(rows, "exact-shapley");

  it("does not hold a flagged free rider's forfeited bonus against the payout", () => {
    const inputs = auditInputs(rows, "forfeit");
    const idle = inputs.payouts.find((line) => line.holderId === "idle");
    const other = inputs.payouts.find((line) => line.holderId === "other");
    assert.ok((totals.get("idle") ?? 0) > (totals.get("other") ?? 0));
    assert.ok(idle?.bonus === 0n && (other?.bonus ?? 0n) > 0n);
    const fairness = checkFairness(inputs, totals, "exact-shapley");
    assert.equal(fairness.status, "pass", JSON.stringify(fairness.findings));
  });

  it("still fails a bonus that falls as contribution rises between unflagged holders", () => {
    const inputs = auditInputs(rows, "forfeit");
    const good = inputs.payouts.find((line) => line.holderId === "good");
    const other = inputs.payouts.find((line) => line.holderId === "other");
    assert.ok(good && other);
    [good.bonus, other.bonus] = [other.bonus, good.bonus];
    const fairness = checkFairness(inputs, totals, "exact-shapley");
    assert.deepEqual(
      fairness.findings.map((finding) => [finding.code, finding.holderId]),
      [["bonus_not_monotone", "good"]],
    );
  });
});

describe("who is owed a base without a score", () => {
  const agreement = (holderId: string, roundsInvited: number) => ({
    holderId,
    terms: { roundsInvited },
  });
  const evidence = {
    agreements: [
      agreement("scored", 2),
      agreement("spare", 0),
      agreement("no-show", 1),
      agreement("unlucky", 1),
      agreement("mixed", 2),
      agreement("claims-spare", 0),
    ],
    plannedRounds: [
      ["scored", "no-show", "mixed"],
      ["scored", "unlucky", "mixed", "claims-spare"],
    ],
    // Round 1 failed: too few updates arrived by its deadline.
    rounds: [
      { round: 0, status: "aggregated" },
      { round: 1, status: "failed" },
    ],
    updates: [
      { holderId: "scored", round: 0 },
      { holderId: "unlucky", round: 1 },
      { holderId: "mixed", round: 0 },
      { holderId: "mixed", round: 1 },
    ],
    // `mixed` sent a copy in round 0: flagged, so it has a score row yet is judged by its flag.
    scored: new Set(["scored", "mixed"]),
  };

  it("owes the never-invited and the holder whose updates all went to failed rounds", () => {
    assert.deepEqual(
      [...baseOnlyHolders(evidence)],
      [
        ["spare", "never_invited"],
        ["unlucky", "failed_rounds_only"],
      ],
    );
  });

  it("owes nothing extra to a no-show, or to a holder the stored plan did invite", () => {
    const owed = baseOnlyHolders(evidence);
    assert.equal(owed.has("no-show"), false, "invited to round 0 and sent nothing");
    assert.equal(owed.has("claims-spare"), false, "its agreement says 0 rounds; the plan says 1");
    const withoutPlan = baseOnlyHolders({ ...evidence, plannedRounds: undefined });
    assert.equal(withoutPlan.get("claims-spare"), "never_invited", "no plan to contradict it");
  });

  it("is what the auditor accepts for a failed round; were that round aggregated, it would fail", () => {
    const rows = [...scoredRound(0), ...scoredRound(1)];
    const totals = contributionTotals(rows, "exact-shapley");
    const base = auditInputs(rows, "forfeit");
    const everyone = [...holders, "unlucky"];
    const { table } = settleAs(rows, "forfeit", everyone, new Set(["unlucky"]));
    assert.deepEqual(
      table.lines.find((line) => line.holderId === "unlucky"),
      {
        holderId: "unlucky",
        base: agreedBase,
        bonus: 0n,
        amount: agreedBase,
        standing: "contributor",
        bonusShare: 0,
      },
    );
    const inputs: AuditInputs = {
      ...base,
      agreements: everyone.map((holderId) => ({
        holderId,
        price: agreedBase,
        terms: { freeRiderBase: "forfeit", roundsInvited: 1 },
      })),
      payouts: storedPayouts(table.lines),
      rounds: [
        { round: 0, status: "aggregated" },
        { round: 1, status: "aggregated" },
        { round: 2, status: "failed" },
      ] as AuditInputs["rounds"],
      updates: [
        ...holders.map((holderId) => ({ holderId, round: 0 }) as AuditInputs["updates"][number]),
        { holderId: "unlucky", round: 2 } as AuditInputs["updates"][number],
      ],
    };
    assert.equal(checkFreeRiders(inputs, totals, "exact-shapley").status, "pass");
    assert.equal(checkPayouts(inputs, totals, null, "exact-shapley").result.status, "pass");

    // Had round 2 aggregated without scoring it, the unscored holder would be a no-show.
    const scoredRound2 = { ...inputs, rounds: inputs.rounds.slice(0, 2) };
    assert.equal(checkPayouts(scoredRound2, totals, null, "exact-shapley").result.status, "fail");
  });
});
