import type { NewHolder } from "../../services/store/repositories/holders-repository.ts";
import type { NewTask } from "../../services/store/repositories/tasks-repository.ts";

let counter = 0;
const next = () => `${Date.now().toString(36)}${(counter++).toString(36)}`;
const hexAddress = (seed: string) =>
  `0x${Buffer.from(seed).toString("hex").padEnd(40, "0").slice(0, 40)}`;

export function newTask(overrides: Partial<NewTask> = {}): NewTask {
  return {
    id: `task-${next()}`,
    ownerAddress: hexAddress("owner"),
    rail: "chain",
    currency: "USDC",
    budget: 1_000_000_000n,
    spec: { model: "mnist-2nn", rounds: 5, labels: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9] },
    deadline: new Date(Date.now() + 86_400_000),
    ...overrides,
  };
}

export function newHolder(overrides: Partial<NewHolder> = {}): NewHolder {
  const id = `holder-${next()}`;
  return {
    id,
    address: hexAddress(id),
    payoutRail: "chain",
    payoutAccount: hexAddress(id),
    dataSummary: { samples: 600, labels: { "3": 300, "7": 300 } },
    hardware: { device: "cpu", samplesPerSecond: { "0": 900 } },
    privacyEpsilon: 8,
    privacyDelta: 1e-5,
    priceFloor: 5_000_000n,
    ...overrides,
  };
}
