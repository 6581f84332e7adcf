import { z } from "zod";
import { AgoraError } from "../../errors/agora-error.ts";
import type { EscrowClient } from "../../settlement/chain/escrow-client.ts";
import type { ApiDependencies } from "../dependencies.ts";
import { defineRoute } from "../route.ts";

const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/);

/** What an owner's wallet needs to fund a chain task: where to deposit, in what, naming whom. */
const chainSettlementSchema = z.object({
  /** The EVM chain id, as a decimal string (chain ids can exceed 2^53). */
  chainId: z.string().regex(/^\d+$/),
  /** The `AgoraSettlementEscrow` that takes deposits with `createTask`. */
  escrow: address,
  /** The coordinator every deposit's terms must name; a deposit naming anyone else is refused. */
  coordinator: address,
  /** The ERC-20 the escrow is funded and pays out in: approve the budget to the escrow first. */
  token: address,
  /** Blocks a deposit must be buried under before POST /tasks/:id/fund opens bidding. */
  confirmations: z.number().int().positive(),
});
type ChainSettlementInfo = z.infer<typeof chainSettlementSchema>;

/**
 * The escrow's token is immutable, so it is read from chain once per escrow; a failed read is
 * forgotten, so the next request tries again.
 */
const tokens = new WeakMap<EscrowClient, Promise<string>>();
function tokenOf(escrow: EscrowClient): Promise<string> {
  let token = tokens.get(escrow);
  if (token === undefined) {
    token = escrow.token();
    tokens.set(escrow, token);
    token.catch(() => tokens.delete(escrow));
  }
  return token;
}

async function chainSettlementOf(deps: ApiDependencies): Promise<ChainSettlementInfo> {
  const rail = deps.chainRail;
  if (rail === undefined) {
    throw new AgoraError("unavailable", "Chain settlement not available", {
      detail:
        "This deployment has no chain connection: it needs CHAIN_RPC_URL, CHAIN_PRIVATE_KEY and AGORA_ESCROW_ADDRESS.",
    });
  }
  let token: string;
  try {
    token = await tokenOf(rail.escrow);
  } catch (cause) {
    throw new AgoraError("unavailable", "Chain not reachable", {
      detail: `Could not read the token of escrow ${rail.escrow.address}.`,
      cause,
    });
  }
  return {
    chainId: rail.chainId.toString(),
    escrow: rail.escrow.address,
    coordinator: rail.coordinator,
    token,
    confirmations: rail.confirmations,
  };
}

export const chainSettlementRoutes = [
  defineRoute({
    method: "get",
    path: "/settlement/chain",
    operationId: "chainSettlement",
    summary:
      "What funding a chain-rail task needs: the chain, the escrow, its token and the coordinator to name",
    tag: "settlement",
    responses: {
      200: { description: "The deployment's chain settlement", schema: chainSettlementSchema },
      503: { description: "This deployment has no chain connection, or the chain does not answer" },
    },
    handle: async ({ deps }) => ({ status: 200, body: await chainSettlementOf(deps) }),
  }),
];
