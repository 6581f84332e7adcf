/**
 * Decimals of currencies that are not ISO 4217 codes: the stablecoins and
 * native tokens a chain-rail task is likely to name. Agora's own test
 * stablecoin has 6 decimals, like USDC.
 */
const tokenDecimals: Readonly<Record<string, number>> = {
  USDC: 6,
  USDT: 6,
  EURC: 6,
  PYUSD: 6,
  DAI: 18,
  ETH: 18,
  WETH: 18,
};

const isoCurrencies = new Set(Intl.supportedValuesOf("currency"));

/**
 * How many decimals the minor units of a currency have: the token table,
 * then ISO 4217 as the runtime's Intl knows it (USD 2, JPY 0, KWD 3). An
 * unknown code gets 0, so amounts show as plain minor units rather than
 * being scaled by a guess.
 */
export function currencyDecimals(code: string): number {
  const upper = code.toUpperCase();
  const token = tokenDecimals[upper];
  if (token !== undefined) return token;
  if (!isoCurrencies.has(upper)) return 0;
  return (
    new Intl.NumberFormat("en", { style: "currency", currency: upper }).resolvedOptions()
      .maximumFractionDigits ?? 0
  );
}

/** An amount as the pages receive it: exact minor units as text, never a float. */
export interface MoneyView {
  minor: string;
  currency: string;
  decimals: number;
}

export const moneyView = (amount: bigint, currency: string): MoneyView => ({
  minor: amount.toString(),
  currency,
  decimals: currencyDecimals(currency),
});
