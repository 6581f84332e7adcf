import { AgoraError } from "../../errors/agora-error.ts";
import { plainInstructions } from "./checks.ts";
import { FedAvg } from "./fedavg.ts";

/**
 * FedProx (Li et al. 2020): holders minimise loss + μ/2‖w − w_global‖², which
 * limits client drift on non-IID data; aggregation is FedAvg's.
 */
export class FedProx extends FedAvg {
  override readonly name = "fedprox";
  readonly mu: number;

  constructor(mu: number) {
    super();
    if (!(mu >= 0) || !Number.isFinite(mu)) {
      throw new AgoraError("invalid", "FedProx μ must be a non-negative number", {
        detail: `got ${mu}.`,
      });
    }
    this.mu = mu;
  }

  override configureRound(_round: number, holders: readonly string[]) {
    return plainInstructions(holders, this.mu);
  }
}
