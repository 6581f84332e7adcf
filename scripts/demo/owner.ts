import type { Wallet } from "ethers";
import { AgoraApiClient } from "../../services/cli/api-client.ts";
import type { AgreementView } from "../../services/cli/api-views.ts";
import { type DepositTarget, depositToEscrow } from "../../services/cli/escrow-deposit.ts";
import { fetchMarketDomain, signAgreement } from "../../services/cli/typed-signing.ts";
import type { TaskSpecInput } from "../../services/market/task-spec.ts";
import { TransactionSender } from "../../services/settlement/chain/transaction-sender.ts";
import type { DemoApi } from "./demo-api.ts";
import type { DemoChain } from "./demo-chain.ts";

/** The task as the API answers it (the fields the demo reads). */
export interface PostedTask {
  id: string;
  status: string;
  budget: string;
  currency: string;
  deadline: string;
}

/** What the owner funds the escrow with, besides the budget. */
export interface EscrowSettings {
  /** The auditors who may attest or dispute, and how many attestations make the payouts final. */
  auditors: string[];
  threshold: number;
  /** Seconds after the commit during which payouts may be disputed. */
  challengeWindowS: number;
}

/** The model owner: a wallet with stablecoins and an API session with the owner role. */
export class DemoOwner {
  readonly wallet: Wallet;
  readonly client: AgoraApiClient;
  readonly #sender: TransactionSender;

  private constructor(wallet: Wallet, client: AgoraApiClient) {
    this.wallet = wallet;
    this.client = client;
    this.#sender = new TransactionSender(wallet);
  }

  /** A fresh owner account holding `balance` test stablecoins, signed in to the API. */
  static async create(api: DemoApi, chain: DemoChain, balance: bigint): Promise<DemoOwner> {
    const wallet = await chain.account();
    await chain.mint(wallet.address, balance);
    const client = new AgoraApiClient({ baseUrl: api.running.url.href });
    await client.signIn(wallet, "owner");
    return new DemoOwner(wallet, client);
  }

  /** Posts the task as a draft on the chain rail. */
  post(spec: TaskSpecInput, budget: bigint, deadline: Date): Promise<PostedTask> {
    return this.client.post<PostedTask>("/tasks", {
      spec,
      budget: budget.toString(),
      currency: "USDC",
      rail: "chain",
      deadline: deadline.toISOString(),
    });
  }

  /**
   * Funds the task from the owner's own wallet, as `agora owner deposit` does:
   * reads where to deposit from `GET /settlement/chain`, approves and deposits
   * the budget under the task's terms hash (idempotent under retry), then asks
   * the API to confirm the deposit from chain state, which opens bidding.
   * Returns the escrow's task id.
   */
  async fund(task: PostedTask, settings: EscrowSettings): Promise<bigint> {
    const target = await this.client.get<DepositTarget>("/settlement/chain");
    const { escrowTaskId } = await depositToEscrow({
      owner: this.wallet,
      task,
      target,
      settings: { ...settings, commitGraceS: 3_600 },
      sender: this.#sender,
    });
    await this.client.post(`/tasks/${encodeURIComponent(task.id)}/fund`);
    return escrowTaskId;
  }

  /** Closes bidding: the orchestrator negotiates with every guardian and clears the auction. */
  negotiate(taskId: string): Promise<SelectionSummary> {
    return this.client.post<SelectionSummary>(`/tasks/${encodeURIComponent(taskId)}/negotiate`);
  }

  /** Signs every proposed agreement as the owner (EIP-712); returns the holders signed for. */
  async signAgreements(taskId: string): Promise<string[]> {
    const path = `/tasks/${encodeURIComponent(taskId)}`;
    const [{ agreements }, market] = await Promise.all([
      this.client.get<{ agreements: AgreementView[] }>(`${path}/agreements`),
      fetchMarketDomain(this.client),
    ]);
    const signed: string[] = [];
    for (const proposal of agreements) {
      const holderId = proposal.holderId ?? "";
      await this.client.post(
        `${path}/agreements/${encodeURIComponent(holderId)}/signatures`,
        await signAgreement(this.wallet, market, taskId, proposal.termsHash),
      );
      signed.push(holderId);
    }
    return signed;
  }

  /** Starts training an agreed task (idempotent). */
  start(taskId: string): Promise<{ status: string; rounds?: number; holders?: string[] }> {
    return this.client.post(`/tasks/${encodeURIComponent(taskId)}/start`, {});
  }
}

/** The orchestrator's selection as POST /tasks/:id/negotiate returns it (what the demo prints). */
export interface SelectionSummary {
  winners: {
    bidId: string;
    holderId: string;
    price: string;
    payment: string;
    utility: number;
    group: string;
  }[];
  negotiationFailed: { bidId: string; reason: string }[];
  ineligible: { bidId: string; reasons: string[] }[];
  budget: string;
  totalPayment: string;
  labelTv: number;
  maxLabelTv: number;
  coverage: string;
  enoughHolders: boolean;
  participation: Record<string, number>;
  participationGini: number;
  invitedPerRound: number;
}
