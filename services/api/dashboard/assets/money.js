/**
 * Money arrives as exact minor units in a decimal string, with the number of
 * decimals of its currency. Formatting works on the digits, never on a
 * float, so 123456789012345678901 wei shows every digit.
 */

const groupThousands = (digits) => digits.replace(/\B(?=(\d{3})+(?!\d))/g, ",");

/** "123456", 2 → "1,234.56"; "-5", 2 → "-0.05"; "7", 0 → "7". */
export function formatMinor(minor, decimals) {
  if (!/^-?\d+$/.test(minor)) throw new Error(`not an amount in minor units: ${minor}`);
  const negative = minor.startsWith("-");
  const digits = (negative ? minor.slice(1) : minor).replace(/^0+(?=\d)/, "");
  const padded = digits.padStart(decimals + 1, "0");
  const whole = groupThousands(padded.slice(0, padded.length - decimals));
  const fraction = decimals > 0 ? `.${padded.slice(padded.length - decimals)}` : "";
  const zero = /^[0.,]+$/.test(whole + fraction);
  return `${negative && !zero ? "-" : ""}${whole}${fraction}`;
}

/** `{ minor, currency, decimals }` → "1,234.56 USD". */
export const formatMoney = (money) =>
  `${formatMinor(money.minor, money.decimals)} ${money.currency}`;

/**
 * An approximate number for plotting only: charts place points on a float
 * axis, while every figure a person reads comes from `formatMoney`.
 */
export const moneyForChart = (money) =>
  Number(formatMinor(money.minor, money.decimals).replaceAll(",", ""));
