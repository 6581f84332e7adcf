import type { Interface, Log, Provider } from "ethers";

/** One decoded escrow event with where it happened. */
export interface EscrowEvent {
  name: string;
  /** Arguments by name, as ethers decodes them (bigint for integers). */
  args: Record<string, unknown>;
  blockNumber: number;
  transactionHash: string;
  logIndex: number;
}

/** Options of `readEscrowEvents`. */
export interface ReadEventsOptions {
  fromBlock: number;
  /** Inclusive; defaults to the latest block. */
  toBlock?: number;
  /** Only events of these names (default: all). */
  names?: readonly string[];
  /** Only events of this task (every escrow event indexes `taskId` first). */
  taskId?: bigint;
  /** Blocks per `eth_getLogs` call; public RPC endpoints cap the range. Default 5,000. */
  chunkSize?: number;
}

/**
 * Reads and decodes the escrow's events over a block range, in chain order, querying in chunks so
 * that long ranges work against RPC endpoints that limit `eth_getLogs`.
 */
export async function readEscrowEvents(
  provider: Provider,
  escrow: { address: string; interface: Interface },
  options: ReadEventsOptions,
): Promise<EscrowEvent[]> {
  const toBlock = options.toBlock ?? (await provider.getBlockNumber());
  const chunkSize = options.chunkSize ?? 5_000;
  const topics = eventTopics(escrow.interface, options);
  const events: EscrowEvent[] = [];
  for (let start = options.fromBlock; start <= toBlock; start += chunkSize) {
    const end = Math.min(start + chunkSize - 1, toBlock);
    const logs = await provider.getLogs({
      address: escrow.address,
      fromBlock: start,
      toBlock: end,
      topics,
    });
    for (const log of logs) {
      const event = decode(escrow.interface, log);
      if (event !== undefined) events.push(event);
    }
  }
  return events.sort((a, b) => a.blockNumber - b.blockNumber || a.logIndex - b.logIndex);
}

function eventTopics(iface: Interface, options: ReadEventsOptions): (string | string[] | null)[] {
  const names = options.names ?? [];
  const selectors = names.map((name) => {
    const event = iface.getEvent(name);
    if (event === null) throw new Error(`escrow has no event ${name}`);
    return event.topicHash;
  });
  const topics: (string | string[] | null)[] = [selectors.length > 0 ? selectors : null];
  if (options.taskId !== undefined)
    topics.push(`0x${options.taskId.toString(16).padStart(64, "0")}`);
  return topics;
}

function decode(iface: Interface, log: Log): EscrowEvent | undefined {
  const parsed = iface.parseLog({ topics: [...log.topics], data: log.data });
  if (parsed === null) return undefined;
  const args: Record<string, unknown> = {};
  parsed.fragment.inputs.forEach((input, position) => {
    args[input.name] = parsed.args[position];
  });
  return {
    name: parsed.name,
    args,
    blockNumber: log.blockNumber,
    transactionHash: log.transactionHash,
    logIndex: log.index,
  };
}
