import type { HardwareProfile } from "../../services/market/holder-profile.ts";

/** How a holder behaves when it trains (the scenario's good, lazy and hostile holders). */
export type Behaviour =
  /** Trains on its data and sends what it trained. */
  | "honest"
  /** Free rider: sends the global model back unchanged, claiming its full data set. */
  | "returns-global"
  /** Free rider: trains on a handful of its examples while claiming all of them. */
  | "handful"
  /** Attacker: sends the trained update pushed 4× the other way. */
  | "sign-flip"
  /** Attacker: sends the starting model plus N(0, 1) noise on every weight. */
  | "scaled-noise";

/** A class of machine: what it declares and how fast it really is. */
export interface DeviceClass {
  name: string;
  device: HardwareProfile["device"];
  /** Declared (and simulated) training speed per model tier, samples per second. */
  samplesPerSecond: Record<string, number>;
  memoryMb: number;
}

/** A datacenter GPU, a workstation, a laptop, an edge box: the four speeds of the scenario. */
export const devices = {
  gpu: { name: "gpu", device: "webgpu", samplesPerSecond: { "0": 6_000 }, memoryMb: 81_920 },
  workstation: {
    name: "workstation",
    device: "cpu",
    samplesPerSecond: { "0": 2_400 },
    memoryMb: 32_768,
  },
  laptop: { name: "laptop", device: "wasm", samplesPerSecond: { "0": 700 }, memoryMb: 8_192 },
  // Too slow for the full model within the deadline at its claimed size: it bids the half-width tier.
  edge: { name: "edge", device: "wasm", samplesPerSecond: { "0": 35, "1": 160 }, memoryMb: 2_048 },
} as const satisfies Record<string, DeviceClass>;

/** One of the scenario's holders, before it registers. */
export interface CastMember {
  /** Stable label in the demo's output, e.g. `h07`. */
  label: string;
  /** Which slot of the MNIST split its data is. */
  slot: number;
  behaviour: Behaviour;
  device: DeviceClass;
  /** `sandbox` stands for the Stripe sandbox rail: fiat payouts, ledger-only, no real money. */
  payoutRail: "chain" | "sandbox";
  /** Lowest price its guardian accepts, minor units of the task's currency. */
  priceFloor: bigint;
  /** Total ε it will spend across all tasks. */
  privacyEpsilon: number;
}

const deviceOrder: DeviceClass[] = [
  devices.gpu,
  devices.workstation,
  devices.laptop,
  devices.workstation,
  devices.laptop,
  devices.edge,
];
const behaviours: Readonly<Record<number, Behaviour>> = {
  4: "returns-global",
  13: "handful",
  7: "sign-flip",
  16: "scaled-noise",
};
/** Paid in fiat through the sandbox rail instead of on chain. */
const fiatHolders = new Set([2, 9, 18]);
/**
 * Price floors in whole stablecoin units, all within the owner's reserve.
 * The free riders and attackers ask little: they want in.
 */
const floors = [72, 65, 80, 88, 60, 70, 84, 62, 90, 76, 68, 94, 82, 61, 74, 86, 64, 78, 88, 58];

/**
 * The 20 holders of the scenario: mixed hardware (GPU, workstation, laptop,
 * edge box), two free riders, two attackers, three paid through the fiat
 * sandbox rail and the rest on chain. Privacy budgets from 60 to 100.
 */
export function demoCast(count = 20): CastMember[] {
  return Array.from({ length: count }, (_, slot) => ({
    label: `h${String(slot).padStart(2, "0")}`,
    slot,
    behaviour: behaviours[slot] ?? "honest",
    device: deviceOrder[slot % deviceOrder.length] as DeviceClass,
    payoutRail: fiatHolders.has(slot) ? "sandbox" : "chain",
    priceFloor: BigInt(floors[slot % floors.length] as number) * 1_000_000n,
    privacyEpsilon: 60 + (slot % 5) * 10,
  }));
}

/** Words for the summary: what kind of holder this is. */
export const roleOf = (member: CastMember): string =>
  ({
    honest: "honest",
    "returns-global": "free rider (returns the global model)",
    handful: "free rider (trains on 10 examples)",
    "sign-flip": "attacker (sign flip ×4)",
    "scaled-noise": "attacker (noise)",
  })[member.behaviour];
