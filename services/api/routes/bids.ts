import { z } from "zod";
import { agreementTypes, bidTypes } from "../../identity/typed-data.ts";
import { type SignedBid, signedBidSchema, submitBid } from "../../market/bids/submit-bid.ts";
import { ownedTask } from "../../market/tasks/post-task.ts";
import { defineRoute } from "../route.ts";
import { bidSchema, bidView, looseObject, taskIdParam } from "./market-views.ts";

export const bidRoutes = [
  defineRoute({
    method: "get",
    path: "/market/domain",
    operationId: "marketDomain",
    summary: "The EIP-712 domain and types that bids and agreements are signed with",
    tag: "market",
    responses: { 200: { description: "Domain and types", schema: looseObject } },
    handle: async ({ deps }) => ({
      status: 200,
      body: {
        domain: { ...deps.market.domain, chainId: Number(deps.market.domain.chainId) },
        types: { bid: bidTypes, agreement: agreementTypes },
      },
    }),
  }),
  defineRoute<SignedBid>({
    method: "post",
    path: "/tasks/:taskId/bids",
    operationId: "submitBid",
    summary: "Submit an EIP-712 signed bid for a task that is taking bids (holder)",
    tag: "market",
    roles: ["holder"],
    body: signedBidSchema,
    responses: { 201: { description: "The stored bid", schema: bidSchema } },
    handle: async ({ params, body, session, deps }) => {
      const bid = await submitBid(deps.market, session?.address ?? "", taskIdParam(params), body);
      return {
        status: 201,
        body: {
          id: bid.id,
          taskId: bid.taskId,
          holderId: bid.holderId,
          price: bid.price.toString(),
          status: bid.status,
          digest: bid.digest,
        },
      };
    },
  }),
  defineRoute({
    method: "get",
    path: "/tasks/:taskId/bids",
    operationId: "listBids",
    summary: "The bids on a task (its owner, auditors)",
    tag: "market",
    roles: ["owner", "auditor"],
    responses: { 200: { description: "Bids", schema: z.object({ bids: z.array(bidSchema) }) } },
    handle: async ({ params, session, deps }) => {
      const taskId = taskIdParam(params);
      if (!session?.roles.includes("auditor"))
        await ownedTask(deps.market.repos.tasks, taskId, session?.address ?? "");
      return {
        status: 200,
        body: { bids: (await deps.market.repos.bids.listForTask(taskId)).map(bidView) },
      };
    },
  }),
];
