import { z } from "zod";
import { AgoraError } from "../../errors/agora-error.ts";
import {
  type SignedAgreement,
  signAgreement,
  signedAgreementSchema,
} from "../../market/agreements/sign-agreement.ts";
import { negotiateTask } from "../../market/negotiation/negotiate-task.ts";
import { fundTask } from "../../market/tasks/fund-task.ts";
import {
  ownedTask,
  type PostTask,
  postTask,
  postTaskSchema,
} from "../../market/tasks/post-task.ts";
import { recordedTransition } from "../../market/tasks/recorded-transition.ts";
import type { TaskStatus } from "../../store/schema.ts";
import { defineRoute } from "../route.ts";
import { looseObject, taskIdParam, taskSchema, taskView } from "./market-views.ts";

const statusQuery = z.object({
  status: z
    .enum([
      "draft",
      "funded",
      "bidding",
      "negotiating",
      "agreed",
      "training",
      "settling",
      "settled",
      "disputed",
      "cancelled",
    ])
    .default("bidding"),
});

export const taskRoutes = [
  defineRoute<PostTask>({
    method: "post",
    path: "/tasks",
    operationId: "postTask",
    summary: "Post a training task as a draft (owner)",
    tag: "market",
    roles: ["owner"],
    body: postTaskSchema,
    responses: { 201: { description: "The task, in draft", schema: taskSchema } },
    handle: async ({ body, session, deps }) => ({
      status: 201,
      body: taskView(await postTask(deps.market.repos, session?.address ?? "", body)),
    }),
  }),
  defineRoute<undefined, { status: TaskStatus }>({
    method: "get",
    path: "/tasks",
    operationId: "listTasks",
    summary: "Tasks in a status (default: taking bids)",
    tag: "market",
    roles: [],
    query: statusQuery,
    responses: { 200: { description: "Tasks", schema: z.object({ tasks: z.array(taskSchema) }) } },
    handle: async ({ query, deps }) => ({
      status: 200,
      body: { tasks: (await deps.market.repos.tasks.listByStatus(query.status)).map(taskView) },
    }),
  }),
  defineRoute({
    method: "get",
    path: "/tasks/:taskId",
    operationId: "getTask",
    summary: "One task (watch its status)",
    tag: "market",
    roles: [],
    responses: { 200: { description: "The task", schema: taskSchema } },
    handle: async ({ params, deps }) => ({
      status: 200,
      body: taskView(await deps.market.repos.tasks.get(taskIdParam(params))),
    }),
  }),
  defineRoute({
    method: "post",
    path: "/tasks/:taskId/fund",
    operationId: "fundTask",
    summary:
      "Confirm the task's funding through its rail's gate and open bidding (owner; idempotent)",
    tag: "market",
    roles: ["owner"],
    responses: { 200: { description: "The task, now taking bids", schema: taskSchema } },
    handle: async ({ params, session, deps }) => ({
      status: 200,
      body: taskView(
        await fundTask(
          deps.market.repos,
          deps.market.fundingGate,
          taskIdParam(params),
          session?.address ?? "",
        ),
      ),
    }),
  }),
  defineRoute({
    method: "post",
    path: "/tasks/:taskId/cancel",
    operationId: "cancelTask",
    summary: "Cancel a task before training starts (owner)",
    tag: "market",
    roles: ["owner"],
    responses: { 200: { description: "The cancelled task", schema: taskSchema } },
    handle: async ({ params, session, deps }) => {
      const task = await ownedTask(
        deps.market.repos.tasks,
        taskIdParam(params),
        session?.address ?? "",
      );
      return {
        status: 200,
        body: taskView(
          await recordedTransition(deps.market.repos, task, "cancelled", session?.address ?? ""),
        ),
      };
    },
  }),
  defineRoute({
    method: "post",
    path: "/tasks/:taskId/negotiate",
    operationId: "negotiateTask",
    summary:
      "Close bidding, negotiate with each bidder's guardian, clear the auction and propose agreements (owner)",
    tag: "market",
    roles: ["owner"],
    responses: {
      200: {
        description: "The selection: winners, payments, coverage and fairness metrics",
        schema: looseObject,
      },
    },
    handle: async ({ params, session, deps }) => ({
      status: 200,
      body: await negotiateTask(deps.market, taskIdParam(params), session?.address ?? ""),
    }),
  }),
  defineRoute({
    method: "get",
    path: "/tasks/:taskId/selection",
    operationId: "getSelection",
    summary: "The task's auction outcome with label TV and participation Gini (owner, auditor)",
    tag: "market",
    roles: ["owner", "auditor"],
    responses: { 200: { description: "The selection", schema: looseObject } },
    handle: async ({ params, session, deps }) => {
      const taskId = taskIdParam(params);
      if (!session?.roles.includes("auditor"))
        await ownedTask(deps.market.repos.tasks, taskId, session?.address ?? "");
      const summary = await deps.market.repos.taskSelections.find(taskId);
      if (summary === undefined) {
        throw new AgoraError("not_found", "No selection yet", {
          detail: `Task ${taskId} has not been cleared.`,
        });
      }
      return { status: 200, body: summary };
    },
  }),
  defineRoute({
    method: "get",
    path: "/tasks/:taskId/agreements",
    operationId: "listTaskAgreements",
    summary:
      "Proposed agreements with their terms, hashes and who has signed (any signed-in party)",
    tag: "market",
    roles: [],
    responses: {
      200: {
        description: "Agreement proposals",
        schema: z.object({ agreements: z.array(looseObject) }),
      },
    },
    handle: async ({ params, deps }) => {
      const proposals = await deps.market.repos.agreementProposals.listForTask(taskIdParam(params));
      return {
        status: 200,
        body: {
          agreements: proposals.map((proposal) => ({
            taskId: proposal.taskId,
            holderId: proposal.holderId,
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
  defineRoute<SignedAgreement>({
    method: "post",
    path: "/tasks/:taskId/agreements/:holderId/signatures",
    operationId: "signAgreement",
    summary: "Sign a proposed agreement (EIP-712 Agreement) as its owner or holder",
    tag: "market",
    roles: ["owner", "holder"],
    body: signedAgreementSchema,
    responses: { 200: { description: "Signature stored", schema: looseObject } },
    handle: async ({ params, body, session, deps }) => ({
      status: 200,
      body: await signAgreement(
        deps.market,
        session?.address ?? "",
        taskIdParam(params),
        params.holderId ?? "",
        body,
      ),
    }),
  }),
];
