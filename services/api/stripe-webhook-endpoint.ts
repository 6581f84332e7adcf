import express, { type Router } from "express";
import type Stripe from "stripe";
import { AgoraError } from "../errors/agora-error.ts";
import { createStripeClient } from "../settlement/rails/stripe/stripe-client.ts";
import { verifyStripeWebhook } from "../settlement/rails/stripe/stripe-webhook.ts";
import type { ApiDependencies } from "./dependencies.ts";
import { applyAndLogStripeEvent } from "./logged-stripe-event.ts";

export const stripeWebhookPath = "/webhooks/stripe";

/**
 * Stripe's webhook endpoint. It sits outside the JSON routes because the
 * signature covers the exact bytes Stripe sent: the body is read raw, verified
 * (signature and timestamp tolerance), then applied (and audit-logged) once per event id. Any 2xx
 * tells Stripe to stop redelivering, so only a verified, applied (or known
 * duplicate) event gets one; a failure answers 5xx and Stripe retries.
 */
export function createStripeWebhookRouter(deps: ApiDependencies): Router {
  const router = express.Router();
  const { STRIPE_SECRET_KEY: secretKey, STRIPE_WEBHOOK_SECRET: webhookSecret } = deps.config;
  let stripe: Stripe | undefined;
  router.post(
    stripeWebhookPath,
    express.raw({ type: () => true, limit: deps.config.AGORA_BODY_LIMIT }),
    async (req, res, next) => {
      res.locals.routePath = stripeWebhookPath;
      try {
        if (secretKey === undefined || webhookSecret === undefined) {
          throw new AgoraError("not_found", "Stripe is not configured", {
            detail:
              "This deployment uses the sandbox rail; set STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET.",
          });
        }
        stripe ??= createStripeClient({ secretKey, apiBase: deps.config.STRIPE_API_BASE });
        const body: unknown = req.body;
        if (!Buffer.isBuffer(body)) {
          throw new AgoraError("bad_request", "Missing webhook body");
        }
        const event = verifyStripeWebhook(
          stripe,
          body,
          req.header("stripe-signature"),
          webhookSecret,
        );
        const outcome = await applyAndLogStripeEvent(deps.database.db, event);
        req.log.info({ eventId: event.id, type: event.type, ...outcome }, "stripe event");
        res.status(200).json({ received: true, ...outcome });
      } catch (error) {
        next(error);
      }
    },
  );
  return router;
}
