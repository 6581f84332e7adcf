import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { expectProblem, startTestApi, type TestApi } from "../support/api-client.ts";
import { databaseBackends, dropSchema } from "../support/databases.ts";
import { testPostgresUrl, uniqueName } from "../support/environment.ts";
import { assertNothingPrivate, publicViews } from "./public-json.ts";
import { type SeededMarket, seedSettledMarket } from "./settled-task-seed.ts";

// The browser suite runs the dashboard on PGlite; this one checks the JSON the
// pages read on a PostgreSQL server, where the views' SQL (jsonb paths,
// filtered counts, array_agg) runs on the real thing.
const postgres = (await databaseBackends()).find((backend) => backend.name === "postgres");

interface Money {
  minor: string;
  currency: string;
  decimals: number;
}

describe("dashboard JSON views on PostgreSQL", { skip: postgres?.skip ?? "no backend" }, () => {
  let api: TestApi;
  let seeded: SeededMarket;
  const schema = uniqueName("agora_test");

  before(async () => {
    api = await startTestApi({ DATABASE_URL: testPostgresUrl() }, { databaseSchema: schema });
    seeded = await seedSettledMarket(api.running.deps.database.db);
  });
  after(async () => {
    await api?.close();
    await dropSchema(testPostgresUrl(), schema);
  });

  it("answers every view with the seeded values, money as exact minor units", async () => {
    const views = await publicViews(api, seeded);
    const list = views.get("/dashboard/api/tasks")?.json as {
      tasks: {
        id: string;
        budget: Money;
        roundsAggregated: number;
        latestAccuracy: number;
        participants: number;
      }[];
    };
    const listed = list.tasks.find((task) => task.id === seeded.task.id);
    assert.deepEqual(listed?.budget, { minor: "5000000", currency: "USD", decimals: 2 });
    assert.equal(listed?.roundsAggregated, seeded.accuracies.length);
    assert.equal(listed?.latestAccuracy, seeded.accuracies.at(-1));
    assert.equal(listed?.participants, seeded.holders.length);
    const dai = list.tasks.find((task) => task.id === seeded.daiTask.id);
    assert.deepEqual(dai?.budget, {
      minor: (200n * 10n ** 18n).toString(),
      currency: "DAI",
      decimals: 18,
    });
    assert.equal(
      list.tasks.some((task) => task.id === seeded.draft.id),
      false,
    );

    const detail = views.get(`/dashboard/api/tasks/${seeded.task.id}`)?.json as {
      rounds: { accuracy: number }[];
      contributionMethod: string;
      participants: {
        holderId: string;
        modelTier: number;
        backends: string[];
        roundsTrained: number;
        contribution: number;
        payout: { amount: Money; sandbox: boolean; status: string };
        privacy: { epsilon: number };
      }[];
      settlement: {
        remainder: Money;
        heldInEscrow: Money;
        byRail: { rail: string; paid: Money }[];
      };
    };
    assert.deepEqual(
      detail.rounds.map((round) => round.accuracy),
      seeded.accuracies,
    );
    assert.equal(detail.contributionMethod, "gtg-shapley");
    for (const holder of seeded.holders) {
      const participant = detail.participants.find((p) => p.holderId === holder.record.id);
      assert.ok(participant, holder.record.id);
      assert.equal(participant.modelTier, holder.tier);
      assert.deepEqual(participant.backends, [holder.backend]);
      assert.equal(participant.roundsTrained, seeded.accuracies.length);
      assert.ok(Math.abs(participant.contribution - holder.contribution) < 1e-12);
      assert.equal(participant.payout.amount.minor, holder.payout.amount.toString());
      assert.equal(participant.payout.sandbox, holder.record.payoutRail === "sandbox");
      assert.equal(participant.privacy.epsilon, holder.epsilon);
    }
    const allocated = seeded.holders.reduce((sum, holder) => sum + holder.payout.amount, 0n);
    const remainder = (seeded.task.budget - allocated).toString();
    assert.equal(detail.settlement.remainder.minor, remainder);
    // Every payout was booked against the escrow, so the ledger holds exactly the remainder.
    assert.equal(detail.settlement.heldInEscrow.minor, remainder);
    assert.deepEqual(
      detail.settlement.byRail.map((rail) => rail.rail),
      ["chain", "sandbox", "stripe"],
    );

    const chainHolder = seeded.holders[0];
    assert.ok(chainHolder);
    const holder = views.get(`/dashboard/api/holders/${chainHolder.record.id}`)?.json as {
      earnings: { currency: string; earned: Money }[];
      privacy: { budget: number; spent: number; left: number };
    };
    assert.equal(
      holder.earnings.find((group) => group.currency === "DAI")?.earned.minor,
      seeded.daiPayout.toString(),
    );
    assert.equal(holder.privacy.spent, chainHolder.epsilon + seeded.daiEpsilon);
    assert.equal(holder.privacy.left, 8 - chainHolder.epsilon - seeded.daiEpsilon);

    const audit = views.get("/dashboard/api/audit")?.json as {
      verification: { ok: boolean; entries: number };
      recent: unknown[];
      reports: { available: boolean };
    };
    assert.deepEqual(
      { ok: audit.verification.ok, entries: audit.verification.entries },
      { ok: true, entries: seeded.auditEntries },
    );
    assert.equal(audit.recent.length, seeded.auditEntries);
    assert.equal(audit.reports.available, false, "no reports folder: said so, no error");
  });

  it("shows nothing that is the holders' business", async () => {
    await assertNothingPrivate(api, seeded);
  });

  it("answers unknown, draft and absurd ids with a 404 problem", async () => {
    await expectProblem(await fetch(api.url(`/dashboard/api/tasks/${seeded.draft.id}`)), 404);
    await expectProblem(await fetch(api.url("/dashboard/api/tasks/task-nope")), 404);
    await expectProblem(await fetch(api.url("/dashboard/api/holders/holder-nope")), 404);
    await expectProblem(await fetch(api.url(`/dashboard/api/tasks/${"x".repeat(500)}`)), 404);
  });
});
