import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A local stand-in for the part of Stripe's API that Agora uses, speaking
 * Stripe's wire protocol (form-encoded requests, JSON objects and error
 * envelopes, `Idempotency-Key` replay), so tests drive the real `stripe` SDK.
 *
 * It keeps everything in memory and counts what was created, which lets tests
 * assert that a retried payout created exactly one transfer.
 */
type StripeObject = Record<string, unknown> & { id: string };

interface StoredResponse {
  fingerprint: string;
  status: number;
  body: unknown;
}

export class FakeStripeServer {
  readonly paymentIntents = new Map<string, StripeObject>();
  readonly transfers: StripeObject[] = [];
  /** Refunds, oldest first. */
  readonly refunds: StripeObject[] = [];
  readonly accounts = new Set<string>();
  /** Requests seen, as `METHOD /path`. */
  readonly requests: string[] = [];
  #server: Server | undefined;
  readonly #idempotency = new Map<string, StoredResponse>();

  get url(): string {
    const address = this.#server?.address() as AddressInfo | undefined;
    if (!address) throw new Error("fake Stripe server is not listening");
    return `http://127.0.0.1:${address.port}`;
  }

  async start(): Promise<this> {
    this.#server = createServer((req, res) => {
      this.#handle(req, res).catch((error: Error) =>
        this.#send(res, 500, apiError("api_error", error.message)),
      );
    });
    await new Promise<void>((resolve) => this.#server?.listen(0, "127.0.0.1", resolve));
    return this;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.#server?.close(() => resolve()));
  }

  /** Registers a Connect account that transfers may go to. */
  createAccount(): string {
    const id = `acct_${randomBytes(8).toString("hex")}`;
    this.accounts.add(id);
    return id;
  }

  /** Marks a PaymentIntent paid and returns the event Stripe would deliver for it. */
  succeedPaymentIntent(id: string): StripeObject {
    const intent = this.paymentIntents.get(id);
    if (!intent) throw new Error(`no PaymentIntent ${id}`);
    intent.status = "succeeded";
    intent.amount_received = intent.amount;
    intent.latest_charge = `ch_${randomBytes(12).toString("hex")}`;
    return {
      id: `evt_${randomBytes(12).toString("hex")}`,
      object: "event",
      type: "payment_intent.succeeded",
      api_version: "2025-01-01",
      created: Math.floor(Date.now() / 1000),
      livemode: false,
      pending_webhooks: 1,
      data: { object: structuredClone(intent) },
    };
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://stripe.local");
    this.requests.push(`${req.method} ${url.pathname}`);
    if (!(req.headers.authorization ?? "").startsWith("Bearer sk_")) {
      this.#send(res, 401, apiError("invalid_request_error", "Invalid API Key provided"));
      return;
    }
    const raw = await readBody(req);
    const params = parseForm(raw);
    const key = req.headers["idempotency-key"];
    if (req.method === "POST" && typeof key === "string") {
      const stored = this.#idempotency.get(key);
      const fingerprint = `${url.pathname}?${raw}`;
      if (stored) {
        if (stored.fingerprint !== fingerprint) {
          this.#send(
            res,
            400,
            apiError(
              "idempotency_error",
              "Keys for idempotent requests can only be used with the same parameters they were first used with.",
            ),
          );
          return;
        }
        res.setHeader("idempotent-replayed", "true");
        this.#send(res, stored.status, stored.body);
        return;
      }
      const { status, body } = this.#route(req.method, url, params);
      this.#idempotency.set(key, { fingerprint, status, body });
      this.#send(res, status, body);
      return;
    }
    const { status, body } = this.#route(req.method ?? "GET", url, params);
    this.#send(res, status, body);
  }

  #route(
    method: string,
    url: URL,
    params: Record<string, unknown>,
  ): { status: number; body: unknown } {
    const created = Math.floor(Date.now() / 1000);
    if (method === "POST" && url.pathname === "/v1/payment_intents") {
      const amount = Number(params.amount);
      if (!Number.isInteger(amount) || amount < 1) {
        return {
          status: 400,
          body: apiError("invalid_request_error", "Invalid integer: amount", "amount"),
        };
      }
      const id = `pi_${randomBytes(12).toString("hex")}`;
      const intent: StripeObject = {
        id,
        object: "payment_intent",
        amount,
        amount_received: 0,
        currency: String(params.currency),
        status: "requires_payment_method",
        client_secret: `${id}_secret_${randomBytes(8).toString("hex")}`,
        metadata: params.metadata ?? {},
        transfer_group: params.transfer_group ?? null,
        created,
        livemode: false,
      };
      this.paymentIntents.set(id, intent);
      return { status: 200, body: intent };
    }
    const intentMatch = /^\/v1\/payment_intents\/([^/]+)$/.exec(url.pathname);
    if (method === "GET" && intentMatch) {
      const intent = this.paymentIntents.get(intentMatch[1] ?? "");
      return intent
        ? { status: 200, body: intent }
        : {
            status: 404,
            body: apiError(
              "invalid_request_error",
              "No such payment_intent",
              "id",
              "resource_missing",
            ),
          };
    }
    if (method === "POST" && url.pathname === "/v1/transfers") {
      const destination = String(params.destination);
      if (!this.accounts.has(destination)) {
        return {
          status: 400,
          body: apiError(
            "invalid_request_error",
            `No such destination: '${destination}'`,
            "destination",
            "resource_missing",
          ),
        };
      }
      const transfer: StripeObject = {
        id: `tr_${randomBytes(12).toString("hex")}`,
        object: "transfer",
        amount: Number(params.amount),
        currency: String(params.currency),
        destination,
        transfer_group: params.transfer_group ?? null,
        metadata: params.metadata ?? {},
        reversed: false,
        created,
        livemode: false,
      };
      this.transfers.push(transfer);
      return { status: 200, body: transfer };
    }
    if (method === "GET" && url.pathname === "/v1/transfers") {
      const group = url.searchParams.get("transfer_group");
      return {
        status: 200,
        body: listPage(
          "/v1/transfers",
          [...this.transfers].reverse().filter((t) => group === null || t.transfer_group === group),
          url,
        ),
      };
    }
    if (method === "POST" && url.pathname === "/v1/refunds") return this.#createRefund(params);
    if (method === "GET" && url.pathname === "/v1/refunds") {
      const intent = url.searchParams.get("payment_intent");
      return {
        status: 200,
        body: listPage(
          "/v1/refunds",
          [...this.refunds].reverse().filter((r) => intent === null || r.payment_intent === intent),
          url,
        ),
      };
    }
    return {
      status: 404,
      body: apiError(
        "invalid_request_error",
        `Unrecognized request URL (${method}: ${url.pathname})`,
      ),
    };
  }

  /**
   * Refunds part or all of a succeeded PaymentIntent's charge, as Stripe
   * does: `amount` defaults to what is still refundable, and more than that
   * is refused with `amount_too_large`.
   */
  #createRefund(params: Record<string, unknown>): { status: number; body: unknown } {
    if (typeof params.payment_intent !== "string") {
      return {
        status: 400,
        body: apiError(
          "invalid_request_error",
          "One of the following params should be provided for this request: payment_intent or charge.",
          "payment_intent",
          "parameter_missing",
        ),
      };
    }
    const intent = this.paymentIntents.get(params.payment_intent);
    if (!intent) {
      return {
        status: 400,
        body: apiError(
          "invalid_request_error",
          `No such payment_intent: '${params.payment_intent}'`,
          "payment_intent",
          "resource_missing",
        ),
      };
    }
    if (intent.status !== "succeeded") {
      return {
        status: 400,
        body: apiError(
          "invalid_request_error",
          `This PaymentIntent (${intent.id}) does not have a successful charge to refund.`,
          "payment_intent",
          "charge_not_refundable",
        ),
      };
    }
    const refunded = this.refunds
      .filter((r) => r.payment_intent === intent.id && r.status === "succeeded")
      .reduce((sum, r) => sum + Number(r.amount), 0);
    const refundable = Number(intent.amount_received) - refunded;
    const amount = params.amount === undefined ? refundable : Number(params.amount);
    if (!Number.isInteger(amount) || amount < 1) {
      return {
        status: 400,
        body: apiError("invalid_request_error", "Invalid positive integer", "amount"),
      };
    }
    if (amount > refundable) {
      const currency = String(intent.currency);
      return {
        status: 400,
        body: apiError(
          "invalid_request_error",
          `Refund amount (${amount} ${currency}) is greater than unrefunded amount on charge (${refundable} ${currency})`,
          "amount",
          "amount_too_large",
        ),
      };
    }
    const refund: StripeObject = {
      id: `re_${randomBytes(12).toString("hex")}`,
      object: "refund",
      amount,
      balance_transaction: `txn_${randomBytes(12).toString("hex")}`,
      charge: intent.latest_charge ?? null,
      created: Math.floor(Date.now() / 1000),
      currency: intent.currency,
      destination_details: null,
      metadata: params.metadata ?? {},
      payment_intent: intent.id,
      reason: params.reason ?? null,
      receipt_number: null,
      source_transfer_reversal: null,
      status: "succeeded",
      transfer_reversal: null,
    };
    this.refunds.push(refund);
    return { status: 200, body: refund };
  }

  #send(res: ServerResponse, status: number, body: unknown): void {
    res.writeHead(status, {
      "content-type": "application/json",
      "request-id": `req_${randomBytes(6).toString("hex")}`,
    });
    res.end(JSON.stringify(body));
  }
}

/** One page of a list, newest first, honouring `limit` and `starting_after` as Stripe does. */
function listPage(path: string, newestFirst: StripeObject[], url: URL) {
  const limit = Number(url.searchParams.get("limit") ?? 10);
  const after = url.searchParams.get("starting_after");
  const data = after
    ? newestFirst.slice(newestFirst.findIndex((item) => item.id === after) + 1)
    : newestFirst;
  return { object: "list", url: path, has_more: data.length > limit, data: data.slice(0, limit) };
}

const apiError = (type: string, message: string, param?: string, code?: string) => ({
  error: { type, message, ...(param && { param }), ...(code && { code }) },
});

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

/** Decodes Stripe's form encoding, where `metadata[taskId]=x` is a nested object. */
function parseForm(raw: string): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (const [name, value] of new URLSearchParams(raw)) {
    const nested = /^([^[]+)\[([^\]]+)\]$/.exec(name);
    if (nested?.[1] && nested[2]) {
      const bag = (result[nested[1]] ?? {}) as Record<string, string>;
      bag[nested[2]] = value;
      result[nested[1]] = bag;
    } else {
      result[name] = value;
    }
  }
  return result;
}
