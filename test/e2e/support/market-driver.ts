import assert from "node:assert/strict";
import type { BaseWallet } from "ethers";
import { AgoraApiClient } from "../../../services/cli/api-client.ts";
import type { AgreementView, HolderView, TaskView } from "../../../services/cli/api-views.ts";
import { planBidTerms } from "../../../services/cli/bid-plan.ts";
import { fetchMarketDomain, signAgreement, signBid } from "../../../services/cli/typed-signing.ts";
import type { TaskSpecInput } from "../../../services/market/task-spec.ts";

const digits = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];

/**
 * A task the 2NN trains in seconds: three holders, all of them every round,
 * E = 1. The round deadline is generous (a SIGKILLed worker's job comes back
 * only once BullMQ finds it stalled, about 30 s later) so that a fault
 * delays a round instead of dropping an update.
 */
export const e2eSpec = (overrides: Partial<TaskSpecInput> = {}): TaskSpecInput => ({
  model: { name: "mnist-2nn", minTier: 0, maxTier: 1 },
  data: { labels: digits },
  rounds: 2,
  holdersPerRound: 3,
  minHolders: 3,
  localEpochs: 1,
  roundDeadlineS: 100,
  // A loose bound: less DP noise, so the rounds learn something to score.
  privacy: { epsilon: 50, delta: 1e-5 },
  selection: { overSelection: 0 },
  ...overrides,
});

/** The body of `POST /tasks`: a sandbox task with room for three holders at 1,000 each. */
export const e2eTask = (spec: TaskSpecInput) => ({
  spec,
  budget: "10000",
  currency: "USDC",
  rail: "sandbox",
  deadline: new Date(Date.now() + 7 * 86_400_000).toISOString(),
});

/** A holder's registration: a third of MNIST, every digit, a CPU that trains either tier in time. */
export const e2eHolderProfile = (wallet: BaseWallet) => ({
  payoutRail: "sandbox",
  payoutAccount: wallet.address,
  dataSummary: { samples: 2_660, labels: Object.fromEntries(digits.map((d) => [d, 266])) },
  hardware: {
    device: "cpu",
    samplesPerSecond: { "0": 2_000, "1": 1_000 },
    memoryMb: 4_096,
    availability: {
      from: new Date(Date.now() - 3_600_000).toISOString(),
      until: new Date(Date.now() + 30 * 86_400_000).toISOString(),
    },
  },
  privacyEpsilon: 100,
  privacyDelta: 1e-5,
  priceFloor: "500",
});

export interface AgreedTask {
  taskId: string;
  /** Registered holder ids, in the order of the wallets given. */
  holderIds: string[];
  owner: AgoraApiClient;
}

async function signedIn(apiUrl: string, wallet: BaseWallet, role: "owner" | "holder") {
  const client = new AgoraApiClient({ baseUrl: apiUrl });
  await client.signIn(wallet, role);
  return client;
}

/**
 * Drives the market over HTTP the way the owner's and holders' clients do
 * (the same requests `agora owner …` and `agora holder …` send): post, fund,
 * register, signed bids, negotiate, both signatures on every agreement. The
 * task ends `agreed`, ready for `POST /tasks/:id/start`.
 */
export async function agreeTask(
  apiUrl: string,
  ownerWallet: BaseWallet,
  holderWallets: readonly BaseWallet[],
  spec: TaskSpecInput = e2eSpec(),
): Promise<AgreedTask> {
  const owner = await signedIn(apiUrl, ownerWallet, "owner");
  const market = await fetchMarketDomain(owner);
  const posted = await owner.post<TaskView>("/tasks", e2eTask(spec));
  const task = await owner.post<TaskView>(`/tasks/${posted.id}/fund`);
  assert.equal(task.status, "bidding");

  const holders = await Promise.all(
    holderWallets.map(async (wallet) => {
      const client = await signedIn(apiUrl, wallet, "holder");
      const me = await client.post<HolderView>("/holders", e2eHolderProfile(wallet));
      const terms = planBidTerms(me, task, { price: "1000" });
      await client.post(`/tasks/${task.id}/bids`, await signBid(wallet, market, task.id, terms));
      return { wallet, client, id: me.id };
    }),
  );
  const selection = await owner.post<{ winners: { holderId: string }[] }>(
    `/tasks/${task.id}/negotiate`,
  );
  assert.deepEqual(
    selection.winners.map((winner) => winner.holderId).sort(),
    holders.map((holder) => holder.id).sort(),
    "every holder is selected",
  );
  const { agreements } = await owner.get<{ agreements: AgreementView[] }>(
    `/tasks/${task.id}/agreements`,
  );
  for (const holder of holders) {
    const agreement = agreements.find((proposal) => proposal.holderId === holder.id);
    assert.ok(agreement, `an agreement is proposed to ${holder.id}`);
    const path = `/tasks/${task.id}/agreements/${holder.id}/signatures`;
    await holder.client.post(
      path,
      await signAgreement(holder.wallet, market, task.id, agreement.termsHash),
    );
    await owner.post(path, await signAgreement(ownerWallet, market, task.id, agreement.termsHash));
  }
  assert.equal((await owner.get<TaskView>(`/tasks/${task.id}`)).status, "agreed");
  return { taskId: task.id, holderIds: holders.map((holder) => holder.id), owner };
}
