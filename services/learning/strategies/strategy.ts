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

/**
 * An aggregation fed one update at a time, for rules that are sums (FedAvg,
 * FedProx): the aggregator folds each update as it arrives instead of
 * reading the whole round when it closes.
 */
export interface RunningAggregation {
  /** Folds one update in; AgoraError `invalid` when it does not fit the global model. */
  add(reply: FitReply): void;
  /** The aggregate of everything added; AgoraError `conflict` when nothing was. */
  finish(): AggregateOutcome;
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
  /**
   * Present on rules that can aggregate incrementally. Adding replies in a
   * given order and finishing gives the same bits as `aggregate` over the
   * replies in that order. Rules that need every update at once (median,
   * Krum) leave it out.
   */
  beginRound?(round: number, global: Float32Array): RunningAggregation;
}
