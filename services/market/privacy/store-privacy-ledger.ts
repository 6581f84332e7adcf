import type {
  PrivacyChargeRecord,
  PrivacyChargesRepository,
} from "../../store/repositories/privacy-charges-repository.ts";
import { composeEpsilon } from "./privacy-composition.ts";
import {
  type PrivacyLedger,
  type PrivacySpend,
  subsampledGaussianSchema,
} from "./privacy-ledger.ts";

/** A stored charge as a spend the composition reads; a mechanism it cannot parse composes as plain (ε, δ). */
export function privacySpendOf(row: PrivacyChargeRecord): PrivacySpend {
  const mechanism = subsampledGaussianSchema.safeParse(row.mechanism);
  return {
    taskId: row.taskId,
    epsilon: row.epsilon,
    delta: row.delta,
    ...(mechanism.success && { mechanism: mechanism.data }),
  };
}

/** The privacy ledger over the database: one row per (holder, task), composed on read. */
export class StorePrivacyLedger implements PrivacyLedger {
  readonly #charges: PrivacyChargesRepository;

  constructor(charges: PrivacyChargesRepository) {
    this.#charges = charges;
  }

  async #spends(holderId: string): Promise<PrivacySpend[]> {
    const rows = await this.#charges.listForHolder(holderId);
    return rows.map(privacySpendOf);
  }

  async spent(holderId: string, delta: number): Promise<number> {
    return composeEpsilon(await this.#spends(holderId), delta);
  }

  async spentWith(holderId: string, delta: number, extra: PrivacySpend): Promise<number> {
    const spends = (await this.#spends(holderId)).filter((spend) => spend.taskId !== extra.taskId);
    return composeEpsilon([...spends, extra], delta);
  }

  charge(holderId: string, spend: PrivacySpend): Promise<boolean> {
    return this.#charges.charge({
      holderId,
      taskId: spend.taskId,
      epsilon: spend.epsilon,
      delta: spend.delta,
      mechanism: spend.mechanism ?? null,
    });
  }
}
