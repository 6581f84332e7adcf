import type { Worker } from "bullmq";
import type { Wallet } from "ethers";
import { planBid } from "../../agents/guardian/guardian-policy.ts";
import { startHolderWorker } from "../../queues/worker-main.ts";
import { AgoraApiClient } from "../../services/cli/api-client.ts";
import type { AgreementView, HolderView } from "../../services/cli/api-views.ts";
import {
  type BidTerms,
  fetchMarketDomain,
  signAgreement,
  signBid,
} from "../../services/cli/typed-signing.ts";
import { type TaskSpec, taskSpecSchema } from "../../services/market/task-spec.ts";
import { behaviourOf } from "./behaviours.ts";
import type { CastMember } from "./cast.ts";
import type { DemoApi } from "./demo-api.ts";
import type { DemoChain } from "./demo-chain.ts";
import type { DemoData } from "./holder-data.ts";

/** A registered holder of the scenario: its wallet, its API session, its own train worker. */
export interface DemoHolder {
  member: CastMember;
  wallet: Wallet;
  client: AgoraApiClient;
  /** The id the API gave it. */
  id: string;
  /** Samples it declared at registration (a "handful" free rider trains on far fewer). */
  claimedSamples: number;
  /** Its BullMQ train worker, consuming `train.<id>` only. */
  worker: Worker;
  stopWorker(): Promise<void>;
}

/** What a guardian decided about one task. */
export type BidOutcome =
  | { holder: DemoHolder; action: "bid"; terms: BidTerms }
  | { holder: DemoHolder; action: "decline"; reasons: string[] };

/**
 * Registers one cast member as a holder would: a fresh wallet signs in with
 * SIWE (holder role), registers its payout rail, data summary, hardware
 * profile, price floor and privacy budget, and starts its own train worker
 * on its own queue, reading only its own share of the data.
 */
export async function registerHolder(
  member: CastMember,
  context: { api: DemoApi; chain: DemoChain; data: DemoData },
): Promise<DemoHolder> {
  const { api, chain, data } = context;
  const wallet = await chain.account();
  const client = new AgoraApiClient({ baseUrl: api.running.url.href });
  await client.signIn(wallet, "holder");
  const summary = data.summary(member);
  const now = Date.now();
  const registered = await client.post<HolderView>("/holders", {
    payoutRail: member.payoutRail,
    payoutAccount: member.payoutRail === "chain" ? wallet.address : `sandbox-${member.label}`,
    dataSummary: { ...summary, dpNoised: false },
    hardware: {
      device: member.device.device,
      samplesPerSecond: member.device.samplesPerSecond,
      memoryMb: member.device.memoryMb,
      availability: {
        from: new Date(now - 3_600_000).toISOString(),
        until: new Date(now + 86_400_000).toISOString(),
      },
    },
    privacyEpsilon: member.privacyEpsilon,
    privacyDelta: 1e-5,
    priceFloor: member.priceFloor.toString(),
  });
  const worker = await startHolderWorker({
    holderId: registered.id,
    env: api.workerEnv,
    data: data.sourceFor(member, registered.id),
    simulate: behaviourOf(member, summary.samples),
  });
  return {
    member,
    wallet,
    client,
    id: registered.id,
    claimedSamples: summary.samples,
    worker: worker.worker,
    stopWorker: () => worker.stop(),
  };
}

interface TaskBody {
  id: string;
  budget: string;
  spec: unknown;
}

/**
 * The holder's guardian reads the task and decides, by its deterministic
 * policy, whether to bid (privacy budget after this task, a model tier its
 * hardware trains within the deadline, availability, enough data); the bid
 * asks the price floor and is EIP-712 signed by the holder's key.
 */
export async function guardianBid(holder: DemoHolder, taskId: string): Promise<BidOutcome> {
  const [me, task, market] = await Promise.all([
    holder.client.get<HolderView>("/holders/me"),
    holder.client.get<TaskBody>(`/tasks/${encodeURIComponent(taskId)}`),
    fetchMarketDomain(holder.client),
  ]);
  const spec: TaskSpec = taskSpecSchema.parse(task.spec);
  // Basic composition from the holder's own books: an upper bound on what the server's RDP ledger charges.
  const epsilonAfter = (me.privacySpent ?? 0) + spec.privacy.epsilon;
  const now = new Date();
  const plan = planBid(
    { id: task.id, spec, budget: BigInt(task.budget) },
    {
      holderId: me.id,
      priceFloor: BigInt(me.priceFloor),
      privacyEpsilon: me.privacyEpsilon,
      privacyDelta: me.privacyDelta,
      data: { ...me.dataSummary, dpNoised: false },
      hardware: me.hardware as Parameters<typeof planBid>[1]["hardware"],
    },
    epsilonAfter,
    now,
  );
  if (plan.action === "decline") return { holder, action: "decline", reasons: plan.reasons };
  const terms: BidTerms = {
    price: plan.price.toString(),
    samples: plan.samples,
    modelTier: plan.modelTier,
    epsilon: plan.epsilonCost,
    throughput: plan.throughput,
    labelCoverage: plan.labelCoverage,
    availableFrom: plan.availableFrom.toISOString(),
    availableUntil: plan.availableUntil.toISOString(),
  };
  await holder.client.post(
    `/tasks/${encodeURIComponent(taskId)}/bids`,
    await signBid(holder.wallet, market, taskId, terms),
  );
  return { holder, action: "bid", terms };
}

/** The holder signs the agreement proposed to it (EIP-712), if any; returns whether it did. */
export async function signOwnAgreement(holder: DemoHolder, taskId: string): Promise<boolean> {
  const [{ agreements }, market] = await Promise.all([
    holder.client.get<{ agreements: AgreementView[] }>("/holders/me/agreements"),
    fetchMarketDomain(holder.client),
  ]);
  const proposal = agreements.find((agreement) => agreement.taskId === taskId);
  if (proposal === undefined) return false;
  await holder.client.post(
    `/tasks/${encodeURIComponent(taskId)}/agreements/${encodeURIComponent(holder.id)}/signatures`,
    await signAgreement(holder.wallet, market, taskId, proposal.termsHash),
  );
  return true;
}
