import { z } from "zod";
import type { BidRecord } from "../../store/repositories/bids-repository.ts";
import type { HolderRecord } from "../../store/repositories/holders-repository.ts";
import type { TaskRecord } from "../../store/repositories/tasks-repository.ts";

/** JSON views of market records: money as decimal strings, dates as ISO text. */
export const taskView = (task: TaskRecord) => ({
  id: task.id,
  ownerAddress: task.ownerAddress,
  status: task.status,
  rail: task.rail,
  currency: task.currency,
  budget: task.budget.toString(),
  spec: task.spec,
  deadline: task.deadline.toISOString(),
  version: task.version,
  createdAt: task.createdAt.toISOString(),
});

export const holderView = (holder: HolderRecord) => ({
  id: holder.id,
  address: holder.address,
  payoutRail: holder.payoutRail,
  payoutAccount: holder.payoutAccount,
  dataSummary: holder.dataSummary,
  hardware: holder.hardware,
  privacyEpsilon: holder.privacyEpsilon,
  privacyDelta: holder.privacyDelta,
  priceFloor: holder.priceFloor.toString(),
});

export const bidView = (bid: BidRecord) => ({
  id: bid.id,
  taskId: bid.taskId,
  holderId: bid.holderId,
  price: bid.price.toString(),
  samples: bid.samples,
  labelCoverage: bid.labelCoverage,
  throughput: bid.throughput,
  modelTier: bid.modelTier,
  epsilonCost: bid.epsilonCost,
  availableFrom: bid.availableFrom.toISOString(),
  availableUntil: bid.availableUntil.toISOString(),
  digest: bid.digest,
  status: bid.status,
  createdAt: bid.createdAt.toISOString(),
});

/** Documentation schemas for the OpenAPI document. */
export const taskSchema = z.object({
  id: z.string(),
  ownerAddress: z.string(),
  status: z.string(),
  rail: z.string(),
  currency: z.string(),
  budget: z.string(),
  spec: z.record(z.string(), z.unknown()),
  deadline: z.string(),
  version: z.number(),
  createdAt: z.string(),
});
export const holderSchema = z.object({
  id: z.string(),
  address: z.string(),
  payoutRail: z.string(),
  priceFloor: z.string(),
  privacyEpsilon: z.number(),
});
export const bidSchema = z.object({
  id: z.string(),
  taskId: z.string(),
  holderId: z.string(),
  price: z.string(),
  status: z.string(),
  digest: z.string(),
});
export const looseObject = z.record(z.string(), z.unknown());
export const taskIdParam = (params: Record<string, string>): string => params.taskId ?? "";
