import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Wallet } from "ethers";
import type { Kysely } from "kysely";
import {
  contributionTotals,
  loadAuditInputs,
  payoutMethodOf,
} from "../../services/audit/auditor/audit-inputs.ts";
import { checkPayouts } from "../../services/audit/auditor/check-payouts.ts";
import { claimLeafOf, type PayoutProofView } from "../../services/cli/payout-proof.ts";
import {
  ChainFundingGate,
  escrowTermsFor,
} from "../../services/market/funding/chain-funding-gate.ts";
import { createMarketRepositories } from "../../services/market/market-repositories.ts";
import { fundTask } from "../../services/market/tasks/fund-task.ts";
import { TransactionSender } from "../../services/settlement/chain/transaction-sender.ts";
import { escrowAccount, holderPaidAccount } from "../../services/settlement/ledger/accounts.ts";
import { offRampAccount } from "../../services/settlement/ledger/off-ramp-entries.ts";
import { bookChainEvents } from "../../services/settlement/pipeline/chain-bookkeeping.ts";
import type { ChainSettlement } from "../../services/settlement/pipeline/settlement-dependencies.ts";
import { payOffRampedFiat } from "../../services/settlement/rails/off-ramp-payouts.ts";
import { sandboxLabel } from "../../services/settlement/rails/payment-rail.ts";
import { SettlementRunsRepository } from "../../services/store/repositories/settlement-runs-repository.ts";
import type { Database } from "../../services/store/schema.ts";
import { balanceOf, type EscrowWorld, startEscrowWorld } from "../contracts/escrow-fixture.ts";
import { newTask } from "../store/fixtures.ts";
import { login, startTestApi, type TestApi } from "../support/api-client.ts";
import {
  journalOf,
  type SettleQueue,
  seedTrainedTask,
  startSettleQueue,
} from "./settlement-fixture.ts";

interface PayoutTable {
  root: string;
  offRamp: { leafIndex: number; account: string; amount: string } | null;
  payouts: Array<{
    holderId: string;
    leafIndex: number;
    rail: string;
    amount: string;
    status: string;
    externalRef: string | null;
    label?: string;
  }>;
}

/**
 * One chain-funded task whose holders are paid on two rails: two claim their
 * leaves on chain, one registered the (ledger-only) sandbox fiat rail and is
 * paid by the coordinator out of the off-ramp leaf it claims itself.
 */
describe("a chain task paying chain and fiat holders", () => {
  let world: EscrowWorld;
  let api: TestApi;
  let db: Kysely<Database>;
  let chain: ChainSettlement;
  let settle: SettleQueue;

  before(async () => {
    world = await startEscrowWorld();
    api = await startTestApi();
    db = api.running.deps.database.db;
    chain = {
      escrow: world.coordinator,
      provider: world.chain.provider,
      chainId: world.chain.chainId,
    };
    settle = await startSettleQueue({ db, chain }, { maxWaitMs: 120_000 });
  });
  after(async () => {
    await settle?.close();
    await api?.close();
    await world?.close();
  });

  it("commits chain leaves plus the off-ramp leaf, pays the fiat holder once, and balances", async () => {
    const repos = createMarketRepositories(db);
    const budget = 1_000_000_000n;
    const draft = await repos.tasks.create(
      newTask({ rail: "chain", ownerAddress: world.addresses.owner, budget }),
    );
    await world.owner.createTask(
      escrowTermsFor(draft, {
        coordinator: world.addresses.coordinator,
        auditors: world.addresses.auditors,
        threshold: 2,
        trainingStartsAt: await world.chain.latestTimestamp(),
        commitGraceS: 7 * 86_400,
        challengeWindowS: 86_400,
      }),
    );
    const gate = new ChainFundingGate({
      escrow: world.owner,
      provider: world.chain.provider,
      ledger: repos.ledger,
      coordinator: world.addresses.coordinator,
    });
    const bidding = await fundTask(repos, gate, draft.id, draft.ownerAddress);
    const [alice, bob] = world.holders;
    const [aliceId, bobId, carolId] = await seedTrainedTask(db, bidding, [
      { holder: { payoutAccount: alice ?? "" }, price: 100_000_000n, scores: [0.4] },
      { holder: { payoutAccount: bob ?? "" }, price: 100_000_000n, scores: [0.2] },
      {
        holder: { payoutRail: "sandbox", payoutAccount: "carol-sandbox" },
        price: 100_000_000n,
        scores: [0.2],
      },
    ]);
    await settle.enqueue(draft.id);
    assert.equal(await settle.waitFor(draft.id, ["delayed", "failed"]), "delayed");

    const token = await login(api, Wallet.createRandom());
    const get = async <T>(path: string): Promise<T> => {
      const response = await fetch(api.url(path), {
        headers: { authorization: `Bearer ${token}` },
      });
      assert.equal(response.status, 200, await response.clone().text());
      return (await response.json()) as T;
    };
    // Pool 700 split 2 : 1 : 1: Alice 450, Bob 275, Carol 275 (units of 10^6).
    const table = await get<PayoutTable>(`/tasks/${draft.id}/payouts`);
    assert.deepEqual(
      table.payouts.map((p) => [p.holderId, p.rail, p.leafIndex, p.amount, p.status]),
      [
        [aliceId, "chain", 0, "450000000", "committed"],
        [bobId, "chain", 1, "275000000", "committed"],
        [carolId, "sandbox", 3, "275000000", "planned"],
      ],
    );
    assert.equal(table.payouts[2]?.label, sandboxLabel);
    assert.deepEqual(table.offRamp, {
      leafIndex: 2,
      account: world.addresses.coordinator,
      amount: "275000000",
    });
    const carolProof = await fetch(api.url(`/tasks/${draft.id}/payouts/${carolId}/proof`), {
      headers: { authorization: `Bearer ${token}` },
    });
    assert.equal(carolProof.status, 409, "a fiat holder has nothing to claim on chain");
    const run = await new SettlementRunsRepository(db).find(draft.id);
    const chainTaskId = BigInt(run?.state.chainTaskId as string);
    const committed = await world.owner.getTask(chainTaskId);
    assert.equal(committed.payoutRoot, table.root);
    assert.equal(committed.committedTotal, 1_000_000_000n, "every holder's share is committed");

    // The auditor rebuilds the same root, off-ramp leaf included.
    const inputs = await loadAuditInputs(db, draft.id);
    const method = payoutMethodOf(inputs.contributions);
    const audit = checkPayouts(
      inputs,
      contributionTotals(inputs.contributions, method),
      {
        root: committed.payoutRoot,
        total: committed.committedTotal,
        offRampAccount: committed.coordinator,
      },
      method,
    );
    assert.equal(audit.result.status, "pass", JSON.stringify(audit.result.findings));

    // Final by attestation; the job wakes, claims the off-ramp leaf and pays Carol.
    await world.auditors[0].attest(chainTaskId, table.root);
    await world.auditors[1].attest(chainTaskId, table.root);
    const coordinatorBefore = await balanceOf(world, world.addresses.coordinator);
    await (await settle.queue.getJob(`settle|${draft.id}`))?.promote();
    const woke = await settle.waitFor(draft.id, ["completed", "failed"]);
    assert.equal(
      woke,
      "completed",
      (await new SettlementRunsRepository(db).find(draft.id))?.lastError ?? "",
    );
    assert.equal(
      await balanceOf(world, world.addresses.coordinator),
      coordinatorBefore + 275_000_000n,
      "the coordinator claimed the fiat holders' sum",
    );
    const settled = await get<PayoutTable>(`/tasks/${draft.id}/payouts`);
    const carol = settled.payouts[2];
    assert.deepEqual([carol?.status, carol?.externalRef], ["sent", `sandbox-payout-${draft.id}-3`]);

    // The chain holders claim with the proofs the API serves.
    for (const [holderId, signerIndex] of [
      [aliceId, 7],
      [bobId, 8],
    ] as const) {
      const claim = await get<PayoutProofView>(`/tasks/${draft.id}/payouts/${holderId}/proof`);
      const signer = world.chain.signers[signerIndex];
      assert.ok(signer);
      await world.owner
        .withSender(new TransactionSender(signer, { retryDelayMs: 5 }))
        .claim(chainTaskId, claimLeafOf(claim));
    }
    assert.equal(await balanceOf(world, alice ?? ""), 450_000_000n);
    const task = await repos.tasks.get(draft.id);
    const booked = await bookChainEvents(db, chain, task, chainTaskId);
    assert.deepEqual([booked.claims, booked.offRamps, booked.unexplained], [2, 1, []]);

    // Paid once: paying the fiat lines again moves nothing and books nothing.
    const journal = await journalOf(db, draft.id);
    const again = await payOffRampedFiat({ db }, task, await repos.payouts.listForTask(draft.id));
    assert.deepEqual(
      again.map((p) => p.reference),
      [`sandbox-payout-${draft.id}-3`],
    );
    await bookChainEvents(db, chain, task, chainTaskId);
    assert.deepEqual(await journalOf(db, draft.id), journal);
    assert.deepEqual(journal.map((entry) => entry.kind).sort(), [
      "funding",
      "off-ramp",
      "payout",
      "payout",
      "payout",
    ]);

    const ledger = repos.ledger;
    assert.equal(await ledger.balance(holderPaidAccount(carolId ?? ""), "USDC"), 275_000_000n);
    assert.equal(await ledger.balance(holderPaidAccount(aliceId ?? ""), "USDC"), 450_000_000n);
    assert.equal(await ledger.balance(escrowAccount(draft.id), "USDC"), 0n, "escrow discharged");
    assert.equal(await ledger.balance(offRampAccount(draft.id), "USDC"), 0n, "off-ramp discharged");
    assert.equal(await ledger.trialBalance("USDC"), 0n);
    assert.equal((await repos.tasks.get(draft.id)).status, "settled");
  });
});
