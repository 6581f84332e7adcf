import Stripe from "stripe";

export interface StripeSettings {
  /** `sk_live_…` or `sk_test_…`. */
  secretKey: string;
  /**
   * Base URL of a Stripe-compatible API, for a local mock; unset means Stripe's
   * own servers.
   */
  apiBase?: string | undefined;
}

/**
 * The one place a Stripe client is made. Network retries are on: the SDK then
 * sends an idempotency key with every POST, and our own calls pass explicit
 * keys derived from Agora ids, so a retry never moves money twice.
 */
export function createStripeClient(settings: StripeSettings): Stripe {
  const base = settings.apiBase === undefined ? undefined : new URL(settings.apiBase);
  return new Stripe(settings.secretKey, {
    maxNetworkRetries: 2,
    timeout: 20_000,
    appInfo: { name: "agora" },
    ...(base && {
      host: base.hostname,
      port: base.port || (base.protocol === "https:" ? 443 : 80),
      protocol: base.protocol === "https:" ? "https" : "http",
    }),
  });
}
