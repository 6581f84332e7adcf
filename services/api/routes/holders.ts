import { randomUUID } from "node:crypto";
import { z } from "zod";
import { AgoraError } from "../../errors/agora-error.ts";
import { dataSummarySchema, hardwareProfileSchema } from "../../market/holder-profile.ts";
import { minorUnits } from "../../market/tasks/post-task.ts";
import type { HolderRecord } from "../../store/repositories/holders-repository.ts";
import type { ApiDependencies } from "../dependencies.ts";
import { defineRoute } from "../route.ts";
import { holderSchema, holderView, looseObject } from "./market-views.ts";

const registerHolderSchema = z
  .object({
    payoutRail: z.enum(["chain", "stripe", "sandbox"]),
    /** Chain address for `chain`, Stripe connected account (`acct_…`) for `stripe`. */
    payoutAccount: z.string().min(1).max(200),
    dataSummary: dataSummarySchema,
    hardware: hardwareProfileSchema,
    privacyEpsilon: z.number().nonnegative().max(1_000),
    privacyDelta: z.number().gt(0).lt(1),
    priceFloor: minorUnits,
  })
  .superRefine((holder, context) => {
    if (holder.payoutRail === "chain" && !/^0x[0-9a-fA-F]{40}$/.test(holder.payoutAccount)) {
      context.addIssue({
        code: "custom",
        path: ["payoutAccount"],
        message: "a chain payout needs an address",
      });
    }
    if (holder.payoutRail === "stripe" && !/^acct_[A-Za-z0-9]+$/.test(holder.payoutAccount)) {
      context.addIssue({
        code: "custom",
        path: ["payoutAccount"],
        message: "a Stripe payout needs a connected account id",
      });
    }
  });
type RegisterHolder = z.infer<typeof registerHolderSchema>;

const policySchema = z
  .object({
    priceFloor: minorUnits.optional(),
    privacyEpsilon: z.number().nonnegative().max(1_000).optional(),
    privacyDelta: z.number().gt(0).lt(1).optional(),
  })
  .refine(
    (policy) => Object.values(policy).some((value) => value !== undefined),
    "change at least one setting",
  );
type Policy = z.infer<typeof policySchema>;

async function me(deps: ApiDependencies, address: string | undefined): Promise<HolderRecord> {
  const holder = await deps.market.repos.holders.findByAddress(address ?? "");
  if (!holder) {
    throw new AgoraError("not_found", "Not registered", {
      detail: "Register with POST /holders first.",
    });
  }
  return holder;
}

export const holderRoutes = [
  defineRoute<RegisterHolder>({
    method: "post",
    path: "/holders",
    operationId: "registerHolder",
    summary:
      "Register the caller's node: payout rail, data summary, hardware, privacy budget, price floor (holder)",
    tag: "market",
    roles: ["holder"],
    body: registerHolderSchema,
    responses: { 201: { description: "The holder", schema: holderSchema } },
    handle: async ({ body, session, deps }) => {
      const holder = await deps.market.repos.holders.register({
        id: `holder-${randomUUID()}`,
        address: session?.address ?? "",
        payoutRail: body.payoutRail,
        payoutAccount: body.payoutAccount,
        dataSummary: body.dataSummary,
        hardware: body.hardware,
        privacyEpsilon: body.privacyEpsilon,
        privacyDelta: body.privacyDelta,
        priceFloor: body.priceFloor,
      });
      return { status: 201, body: holderView(holder) };
    },
  }),
  defineRoute({
    method: "get",
    path: "/holders/me",
    operationId: "currentHolder",
    summary: "The caller's holder record and ε spent so far (holder)",
    tag: "market",
    roles: ["holder"],
    responses: {
      200: { description: "The holder", schema: holderSchema.extend({ privacySpent: z.number() }) },
    },
    handle: async ({ session, deps }) => {
      const holder = await me(deps, session?.address);
      const privacySpent = await deps.market.privacyLedger.spent(holder.id, holder.privacyDelta);
      return { status: 200, body: { ...holderView(holder), privacySpent } };
    },
  }),
  defineRoute<Policy>({
    method: "put",
    path: "/holders/me/policy",
    operationId: "setHolderPolicy",
    summary: "Change the guardian's policy: price floor and privacy budget (holder)",
    tag: "market",
    roles: ["holder"],
    body: policySchema,
    responses: { 200: { description: "The holder", schema: holderSchema } },
    handle: async ({ body, session, deps }) => {
      const holder = await me(deps, session?.address);
      const updated = await deps.market.repos.holders.updatePolicy(holder.id, {
        ...(body.priceFloor !== undefined && { priceFloor: body.priceFloor }),
        ...(body.privacyEpsilon !== undefined && { privacyEpsilon: body.privacyEpsilon }),
        ...(body.privacyDelta !== undefined && { privacyDelta: body.privacyDelta }),
      });
      return { status: 200, body: holderView(updated) };
    },
  }),
  defineRoute({
    method: "get",
    path: "/holders/me/offers",
    operationId: "holderOffers",
    summary: "The caller's bids with the negotiation moves on each (holder)",
    tag: "market",
    roles: ["holder"],
    responses: {
      200: { description: "Offers", schema: z.object({ offers: z.array(looseObject) }) },
    },
    handle: async ({ session, deps }) => {
      const holder = await me(deps, session?.address);
      const bids = await deps.market.repos.holderBids.listForHolder(holder.id);
      const moves = await deps.market.repos.negotiationOffers.listForBids(
        bids.map((bid) => bid.id),
      );
      return {
        status: 200,
        body: {
          offers: bids.map((bid) => ({
            bidId: bid.id,
            taskId: bid.taskId,
            price: bid.price.toString(),
            status: bid.status,
            moves: moves
              .filter((move) => move.bidId === bid.id)
              .map((move) => ({
                step: move.step,
                party: move.party,
                action: move.action,
                price: move.price?.toString() ?? null,
              })),
          })),
        },
      };
    },
  }),
  defineRoute({
    method: "get",
    path: "/holders/me/agreements",
    operationId: "holderAgreements",
    summary: "Agreements proposed to the caller, with terms and signature state (holder)",
    tag: "market",
    roles: ["holder"],
    responses: {
      200: { description: "Agreements", schema: z.object({ agreements: z.array(looseObject) }) },
    },
    handle: async ({ session, deps }) => {
      const holder = await me(deps, session?.address);
      const proposals = await deps.market.repos.agreementProposals.listForHolder(holder.id);
      return {
        status: 200,
        body: {
          agreements: proposals.map((proposal) => ({
            taskId: proposal.taskId,
            terms: proposal.terms,
            termsHash: proposal.termsHash,
            price: proposal.price.toString(),
            ownerSigned: proposal.ownerSignature !== null,
            holderSigned: proposal.holderSignature !== null,
          })),
        },
      };
    },
  }),
];
