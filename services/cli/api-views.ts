/**
 * The response shapes the CLI reads, as `services/api/routes/market-views.ts`
 * and the route handlers write them: money as decimal strings, dates as ISO
 * text. Only the fields the CLI uses are typed; `--json` prints everything.
 */

export interface TaskView {
  id: string;
  ownerAddress: string;
  status: string;
  rail: string;
  currency: string;
  budget: string;
  deadline: string;
  spec: {
    model: { name: string; minTier: number; maxTier: number };
    data: { labels: string[]; minSamples: number };
    rounds: number;
    localEpochs: number;
    roundDeadlineS: number;
    privacy: { epsilon: number; delta: number };
  };
}

export interface BidView {
  id: string;
  taskId: string;
  holderId: string;
  price: string;
  samples?: number;
  modelTier?: number;
  epsilonCost?: number;
  status: string;
  digest: string;
}

export interface HolderView {
  id: string;
  address: string;
  payoutRail: string;
  payoutAccount: string;
  dataSummary: { samples: number; labels: Record<string, number> };
  hardware: {
    device: string;
    samplesPerSecond: Record<string, number>;
    availability: { from: string; until: string };
  };
  privacyEpsilon: number;
  privacyDelta: number;
  priceFloor: string;
  privacySpent?: number;
}

export interface SelectionView {
  winners: { holderId: string; bidId?: string; price: string; payment: string }[];
  negotiationFailed: { bidId: string; reason: string }[];
  budget: string;
  totalPayment: string;
  labelTv: number;
  maxLabelTv: number;
  participationGini: number;
  enoughHolders: boolean;
}

export interface OfferView {
  bidId: string;
  taskId: string;
  price: string;
  status: string;
  moves: { step: number; party: string; action: string; price: string | null }[];
}

export interface AgreementView {
  taskId: string;
  holderId?: string;
  termsHash: string;
  price: string;
  ownerSigned: boolean;
  holderSigned: boolean;
}

export interface SignatureResult {
  taskId: string;
  holderId: string;
  party: string;
  complete: boolean;
  termsHash: string;
}

export interface DecisionView {
  id: string;
  taskId: string | null;
  agent: string;
  party: string;
  kind: string;
  source: string;
  verdict: string;
  rationale: string;
  violations: string[];
  createdAt: string;
}
