import type { HoldersRepository } from "../../store/repositories/holders-repository.ts";

/**
 * Which holder id an address is registered as, remembered after the first
 * lookup: every bid needs it, and it cannot change (holders are never
 * removed and keep their address). Only hits are remembered, so an address
 * that registers after a refused bid is found on its next one.
 */
export class RegisteredHolders {
  readonly #holders: HoldersRepository;
  readonly #capacity: number;
  /** Lower-case address → holder id; Map order doubles as recency order. */
  readonly #ids = new Map<string, string>();

  constructor(holders: HoldersRepository, options: { capacity?: number } = {}) {
    this.#holders = holders;
    this.#capacity = options.capacity ?? 100_000;
  }

  /** The holder id registered for `address`, or undefined if there is none. */
  async idOf(address: string): Promise<string | undefined> {
    const key = address.toLowerCase();
    const known = this.#ids.get(key);
    if (known !== undefined) return known;
    const holder = await this.#holders.findByAddress(key);
    if (holder === undefined) return undefined;
    this.#ids.set(key, holder.id);
    if (this.#ids.size > this.#capacity) this.#ids.delete(this.#ids.keys().next().value as string);
    return holder.id;
  }
}
