import { computeRdp, defaultOrders, type EpsilonResult, epsilonFromRdp } from "./rdp-accountant.ts";

/** One DP-training commitment: `steps` subsampled Gaussian steps at rate q and noise σ. */
export interface PrivacyCharge {
  taskId: string;
  samplingRate: number;
  noiseMultiplier: number;
  steps: number;
}

/**
 * A holder's running privacy spend across tasks: RDP composes by addition at
 * each order, so the ledger keeps one RDP vector and converts to ε on demand.
 * The guardian agent asks `epsilonIf` before bidding, and `charge`s once an
 * agreement is signed.
 */
export class PrivacyLedger {
  readonly orders: readonly number[];
  readonly #rdp: number[];
  readonly #charges: PrivacyCharge[] = [];

  constructor(orders: readonly number[] = defaultOrders) {
    this.orders = orders;
    this.#rdp = orders.map(() => 0);
  }

  get charges(): readonly PrivacyCharge[] {
    return this.#charges;
  }

  /** Records a charge; charging the same task twice counts it once. */
  charge(charge: PrivacyCharge): void {
    if (this.#charges.some((existing) => existing.taskId === charge.taskId)) return;
    const added = computeRdp(
      charge.samplingRate,
      charge.noiseMultiplier,
      charge.steps,
      this.orders,
    );
    added.forEach((value, i) => {
      this.#rdp[i] = (this.#rdp[i] as number) + value;
    });
    this.#charges.push(charge);
  }

  /** ε spent so far at δ. */
  spent(delta: number): EpsilonResult {
    return epsilonFromRdp(this.orders, this.#rdp, delta);
  }

  /** ε the ledger would show after also taking `charge`. */
  epsilonIf(charge: PrivacyCharge, delta: number): EpsilonResult {
    const added = computeRdp(
      charge.samplingRate,
      charge.noiseMultiplier,
      charge.steps,
      this.orders,
    );
    return epsilonFromRdp(
      this.orders,
      this.#rdp.map((value, i) => value + (added[i] as number)),
      delta,
    );
  }
}
