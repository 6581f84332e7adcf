import { z } from "zod";

/**
 * The mechanism behind a charge, when known: the Poisson-subsampled Gaussian
 * mechanism of DP-SGD / DP-FedAvg (sampling rate q, noise multiplier σ, steps).
 * With it, charges compose by Rényi DP, which is much tighter than adding ε.
 */
export const subsampledGaussianSchema = z.object({
  kind: z.literal("subsampled-gaussian"),
  samplingRate: z.number().min(0).max(1),
  noiseMultiplier: z.number().nonnegative(),
  steps: z.int().nonnegative(),
});
export type SubsampledGaussian = z.infer<typeof subsampledGaussianSchema>;

/** Privacy one holder spends on one task. */
export interface PrivacySpend {
  taskId: string;
  epsilon: number;
  delta: number;
  mechanism?: SubsampledGaussian;
}

/**
 * A holder's own DP ledger across all tasks: what it has spent, and what it
 * would have spent after one more charge. The guardian consults it before
 * bidding and before accepting an offer.
 */
export interface PrivacyLedger {
  /** Total ε the holder has spent, composed across tasks at the holder's δ. */
  spent(holderId: string, delta: number): Promise<number>;
  /** ε the holder would have spent after `extra` is added. */
  spentWith(holderId: string, delta: number, extra: PrivacySpend): Promise<number>;
  /** Records a spend once per (holder, task); false when it was recorded already. */
  charge(holderId: string, spend: PrivacySpend): Promise<boolean>;
}
