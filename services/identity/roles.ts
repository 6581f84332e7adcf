import { z } from "zod";

/** What an actor may do. Owners and holders are self-service; auditors and operators are appointed. */
export const roleSchema = z.enum(["owner", "holder", "auditor", "operator"]);
export type Role = z.infer<typeof roleSchema>;

export const selfServiceRoles: readonly Role[] = ["owner", "holder"];

/** SIWE `resources` entries by which a client asks for roles, e.g. `urn:agora:role:auditor`. */
export const roleResourcePrefix = "urn:agora:role:";

export const roleResource = (role: Role): string => `${roleResourcePrefix}${role}`;

/** Decides which roles an address may hold. */
export interface RoleResolver {
  allowedRoles(address: string): Promise<readonly Role[]>;
}

/** Appointed roles come from configured allowlists (AGORA_OPERATORS, AGORA_AUDITORS). */
export class AllowlistRoleResolver implements RoleResolver {
  readonly #operators: ReadonlySet<string>;
  readonly #auditors: ReadonlySet<string>;

  constructor(lists: { operators: readonly string[]; auditors: readonly string[] }) {
    this.#operators = new Set(lists.operators.map((address) => address.toLowerCase()));
    this.#auditors = new Set(lists.auditors.map((address) => address.toLowerCase()));
  }

  async allowedRoles(address: string): Promise<readonly Role[]> {
    const key = address.toLowerCase();
    const roles: Role[] = [...selfServiceRoles];
    if (this.#auditors.has(key)) roles.push("auditor");
    if (this.#operators.has(key)) roles.push("operator");
    return roles;
  }
}
