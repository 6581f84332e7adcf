/**
 * Aggregation strategies, in the spirit of Flower's `Strategy`: the server
 * asks the strategy how to configure a round, then hands it what came back,
 * including the failures, which are a first-class input rather than an
 * exception. One file per strategy.
 */
export interface FitReply {
  holderId: string;
  /** Full-tier weights after local training; coordinates the holder did not train hold the global values. */
  weights: Float32Array;
  /** Training examples behind this update (FedAvg's weight). */
  samples: number;
  /** Coordinates the holder trained (HeteroFL sub-models); absent means all of them. */
  coverage?: Uint8Array;
}

export interface FitFailure {
  holderId: string;
  reason: string;
}

/** What a holder is asked to do in a round, beyond the agreed epochs and batch size. */
export interface FitInstruction {
  holderId: string;
  /** FedProx μ for the local objective; 0 for plain local SGD. */
  proximalMu: number;
}

export interface AggregateOutcome {
  weights: Float32Array;
  /** Holders whose update influenced the result (Krum keeps only some). */
  used: string[];
}

export interface Strategy {
  readonly name: string;
  configureRound(round: number, holders: readonly string[]): FitInstruction[];
  aggregate(
    round: number,
    replies: readonly FitReply[],
    failures: readonly FitFailure[],
    global: Float32Array,
  ): AggregateOutcome;
}
