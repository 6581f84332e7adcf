import type { TaskSpecInput } from "../../services/market/task-spec.ts";

/** One unit of the 6-decimal test stablecoin, in minor units. */
const usdc = 1_000_000n;

/**
 * The demo's task and market, sized to finish in a few minutes on two cores:
 * 20 holders, eight updates a round out of nine invited (the slowest is
 * dropped), six rounds of two local epochs of the MNIST 2NN. Ten or fewer
 * invited per round keeps contribution scoring on exact Shapley (2^8
 * coalition models a round), cheaper here than GTG-Shapley's sampling.
 *
 * ε = 50 is a weak guarantee, chosen knowingly: client-level DP-FedAvg adds
 * noise of σ·C to the sum of only a handful of clipped updates; in a
 * simulation of this split with ten holders a round, ε = 8 left the 2NN at
 * about 25% accuracy after six rounds, ε = 50 reached about 75%.
 */
export const scenario = {
  holders: 20,
  /**
   * The owner's validation set (of the demo seed): every round is evaluated
   * on it and every coalition model of the contribution scoring too, so it
   * is kept small for speed.
   */
  validationSize: 300,
  budget: 2_400n * usdc,
  ownerBalance: 10_000n * usdc,
  /** One auditor, whose attestation makes the payouts final before the window ends. */
  threshold: 1,
  challengeWindowS: 600,
  taskLifetimeMs: 3_600_000,
  spec: {
    model: { name: "mnist-2nn", minTier: 0, maxTier: 1 },
    data: { labels: ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"], minSamples: 50 },
    rounds: 6,
    holdersPerRound: 8,
    minHolders: 6,
    localEpochs: 2,
    roundDeadlineS: 60,
    privacy: { epsilon: 50, delta: 1e-5 },
    coverage: { maxLabelTv: 0.15 },
    // Reserve at 0.8× a bid's utility share of the budget: the auction then leaves about a
    // quarter of the budget for the contribution bonus, and asks above it are countered.
    selection: { overSelection: 0.1, reserveMultiplierBps: 8_000 },
  } satisfies TaskSpecInput,
} as const;
