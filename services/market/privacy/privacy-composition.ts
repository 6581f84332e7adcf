import {
  computeRdp,
  defaultOrders,
  epsilonFromRdp,
} from "../../learning/privacy/rdp-accountant.ts";
import type { PrivacySpend } from "./privacy-ledger.ts";

/**
 * Composes a holder's spends into one ε at the holder's δ.
 *
 * - Spends with a known subsampled-Gaussian mechanism compose by Rényi DP:
 *   their RDP curves add order by order (RDP composes additively), and the
 *   sum is converted to (ε, δ) once, with the FL engine's accountant.
 * - Spends known only as (ε, δ) compose by basic composition: their ε add up.
 * - The two parts add (basic composition of the two groups), which is sound;
 *   the total is never more than the plain sum of all ε.
 *
 * Caveat: the δ of basic composition also adds; the per-task δ are kept far
 * below the holder's δ in practice, and we report ε at the holder's δ only.
 */
export function composeEpsilon(spends: readonly PrivacySpend[], delta: number): number {
  let basic = 0;
  let rdp: number[] | undefined;
  let rdpCharges = 0;
  let rdpBasic = 0;
  for (const spend of spends) {
    if (spend.mechanism === undefined) {
      basic += spend.epsilon;
      continue;
    }
    const curve = computeRdp(
      spend.mechanism.samplingRate,
      spend.mechanism.noiseMultiplier,
      spend.mechanism.steps,
    );
    rdp = rdp === undefined ? curve : rdp.map((value, i) => value + (curve[i] ?? 0));
    rdpCharges++;
    rdpBasic += spend.epsilon;
  }
  if (rdp === undefined || rdpCharges === 0) return basic;
  const composed = epsilonFromRdp(defaultOrders, rdp, delta).epsilon;
  // Never report more than basic composition would: both are valid bounds.
  return basic + Math.min(composed, rdpBasic);
}
