import {
  concat,
  keccak256,
  type TypedDataDomain,
  TypedDataEncoder,
  type TypedDataField,
} from "ethers";

/**
 * EIP-712 digests in one domain. `TypedDataEncoder.hash` rebuilds the type
 * encoder and rehashes the domain on every call; both depend only on
 * constants, so they are built once here (per types object) and each digest
 * costs only the struct hash. Same bytes as `TypedDataEncoder.hash`.
 */
export class TypedDataDigest {
  readonly #domainSeparator: string;
  readonly #encoders = new WeakMap<Record<string, TypedDataField[]>, TypedDataEncoder>();

  constructor(domain: TypedDataDomain) {
    this.#domainSeparator = TypedDataEncoder.hashDomain(domain);
  }

  /** keccak256("\x19\x01" ‖ domainSeparator ‖ hashStruct(message)); throws if the message does not fit the types. */
  of(types: Record<string, TypedDataField[]>, message: Record<string, unknown>): string {
    let encoder = this.#encoders.get(types);
    if (encoder === undefined) {
      encoder = TypedDataEncoder.from(types);
      this.#encoders.set(types, encoder);
    }
    return keccak256(concat(["0x1901", this.#domainSeparator, encoder.hash(message)]));
  }
}
