import type { JsonRpcProvider } from "ethers";
import { ServiceUnreachableError, UsageError } from "./exit-codes.ts";

/** The JSON-RPC URL a chain command was given, refused with a usage error when missing or not a URL. */
export function checkedRpcUrl(url: string | undefined, purpose: string): string {
  if (url === undefined || url === "")
    throw new UsageError(`${purpose} over JSON-RPC: set CHAIN_RPC_URL or pass --rpc <url>`);
  if (!URL.canParse(url) || !/^(https?|wss?):$/.test(new URL(url).protocol))
    throw new UsageError(`--rpc must be an http(s) or ws(s) URL, got ${JSON.stringify(url)}`);
  return url;
}

/**
 * Runs `work` against the chain at `rpcUrl` and lets the provider go after.
 * A chain that does not answer its first call is exit 3; anything `work`
 * throws passes through `mapError` (the command's own exit codes), which is
 * told the endpoint's host for its messages.
 */
export async function withChainRpc<T>(
  rpcUrl: string,
  work: (provider: JsonRpcProvider, chainId: bigint) => Promise<T>,
  mapError: (error: unknown, host: string) => unknown,
): Promise<T> {
  // Loaded here: only chain commands need a provider.
  const { JsonRpcProvider } = await import("ethers");
  const host = new URL(rpcUrl).host;
  // Interactive: look for receipts every second, not every 4 s (ethers' default).
  const provider = new JsonRpcProvider(rpcUrl, undefined, {
    staticNetwork: true,
    pollingInterval: 1_000,
  });
  try {
    let chainId: bigint;
    try {
      chainId = (await provider.getNetwork()).chainId;
    } catch {
      throw new ServiceUnreachableError(`cannot reach the chain at ${host}`);
    }
    return await work(provider, chainId);
  } catch (error) {
    throw mapError(error, host);
  } finally {
    provider.destroy();
  }
}
