import type { Dataset } from "../data/dataset.ts";
import type { ModelKind } from "../models/architecture.ts";
import type { FitReply, Strategy } from "../strategies/strategy.ts";
import { evaluateWeights } from "../training/evaluate.ts";
import { trainLocally } from "../training/local-train.ts";
import { sampleWithoutReplacement, seededRng } from "../util/random.ts";

/** How a Byzantine holder corrupts its update (for robustness benchmarks). */
export type Attack = "sign-flip" | "scaled-noise";

export interface SimulationOptions {
  model: ModelKind;
  strategy: Strategy;
  holders: Dataset[];
  clientsPerRound: number;
  rounds: number;
  localEpochs: number;
  batchSize: number;
  /** Local SGD learning rate of the first round. */
  learningRate: number;
  /**
   * Round t trains at `learningRate × learningRateDecay^t` (McMahan et al.
   * decay the rate across rounds; late rounds then stop undoing each other on
   * non-IID data).
   * @default 1 (a constant rate)
   */
  learningRateDecay?: number;
  initial: Float32Array;
  /** Scored every `evaluateEvery` rounds and after the last (the owner's validation set). */
  evaluation: Dataset;
  /**
   * Rounds between evaluations; long runs evaluate every k rounds to save time.
   * @default 1
   */
  evaluateEvery?: number;
  seed: string;
  /** Holder index → attack, for holders that misbehave. */
  attackers?: Map<number, Attack>;
  /** Called after each evaluated round. */
  onRound?: (round: number, accuracy: number) => void;
}

/** Accuracy on the evaluation set after `rounds` rounds. */
export interface RoundAccuracy {
  rounds: number;
  accuracy: number;
}

export interface SimulationResult {
  /** Evaluation accuracy, in [0, 1], at every evaluated round; the last entry is after the final round. */
  curve: RoundAccuracy[];
  final: Float32Array;
  trainSeconds: number;
  aggregateSeconds: number;
}

/**
 * The same local training and strategies as the queue workers, called
 * in-process: what the benchmark uses to measure accuracy over many rounds
 * without paying queue latency (which it measures separately).
 */
export async function simulateRounds(options: SimulationOptions): Promise<SimulationResult> {
  let global = options.initial;
  const curve: RoundAccuracy[] = [];
  const every = Math.max(1, Math.floor(options.evaluateEvery ?? 1));
  const decay = options.learningRateDecay ?? 1;
  const indices = options.holders.map((_, i) => i);
  let trainSeconds = 0;
  let aggregateSeconds = 0;
  for (let round = 0; round < options.rounds; round++) {
    const chosen = sampleWithoutReplacement(
      indices,
      options.clientsPerRound,
      seededRng(`${options.seed}|select|${round}`),
    );
    const replies: FitReply[] = [];
    for (const holder of chosen) {
      const trained = await trainLocally({
        kind: options.model,
        tier: 0,
        global,
        data: options.holders[holder] as Dataset,
        epochs: options.localEpochs,
        batchSize: options.batchSize,
        learningRate: options.learningRate * decay ** round,
        seed: `${options.seed}|${round}|${holder}`,
      });
      trainSeconds += trained.trainSeconds;
      const attack = options.attackers?.get(holder);
      const weights = attack
        ? corrupt(trained.weights, global, attack, `${options.seed}|${round}|${holder}`)
        : trained.weights;
      replies.push({ holderId: `h${holder}`, weights, samples: trained.samples });
    }
    const started = performance.now();
    global = options.strategy.aggregate(round, replies, [], global).weights;
    aggregateSeconds += (performance.now() - started) / 1000;
    if ((round + 1) % every !== 0 && round + 1 !== options.rounds) continue;
    const { accuracy } = evaluateWeights(options.model, global, options.evaluation);
    curve.push({ rounds: round + 1, accuracy });
    options.onRound?.(round, accuracy);
  }
  return { curve, final: global, trainSeconds, aggregateSeconds };
}

/** Sign flip: send the update pushed 4× the other way. Scaled noise: N(0, 1) per coordinate. */
function corrupt(trained: Float32Array, global: Float32Array, attack: Attack, seed: string) {
  const out = new Float32Array(trained.length);
  if (attack === "sign-flip") {
    for (let i = 0; i < out.length; i++) {
      out[i] = (global[i] as number) - 4 * ((trained[i] as number) - (global[i] as number));
    }
    return out;
  }
  const rng = seededRng(seed);
  for (let i = 0; i < out.length; i++) {
    const u = Math.max(rng(), Number.MIN_VALUE);
    out[i] = (global[i] as number) + Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng());
  }
  return out;
}
