import { invert } from "@noble/curves/abstract/modular";
import { secp256k1 } from "@noble/curves/secp256k1";
import { computeAddress, getBytes, Signature } from "ethers";

const Point = secp256k1.ProjectivePoint;
type Point = InstanceType<typeof Point>;
const Base = Point.BASE;

export interface SignerKeysOptions {
  /**
   * How many signers' public keys to keep, most recently used first. Each
   * costs about 110 KB once it has its multiplication table. Default: 512.
   */
  capacity?: number;
}

/** Width of each key's wNAF table: a multiplication several times faster than without, for ~110 KB. */
const tableWindow = 6;
const { n, endo, Fp } = secp256k1.CURVE;
const modN = (value: bigint) => ((value % n) + n) % n;

/**
 * Decides whether a 65-byte secp256k1 signature over a digest is a given
 * address's, with exactly the outcome of `ecrecover(digest, sig) == address`.
 *
 * Why not just recover: public-key recovery multiplies the signature's own
 * point R by a scalar, and R is new for every signature, so nothing can be
 * precomputed; in pure JS that is about 1.5 ms per bid. A holder signs many
 * bids with one key, so we remember its public key Q (recovered the slow way
 * the first time) and, from its second signature on, check against Q with a
 * precomputed table: R' = (z/s)·G + (r/s)·Q, about a quarter of the cost.
 * The table (~10 ms to build) waits for the second signature so that
 * one-off signers cost no more than plain recovery.
 *
 * Why it is the same check: ecrecover rebuilds R from r and the parity bit v
 * and returns Q' = (s·R − z·G)/r. Q' = Q exactly when R = (z·G + r·Q)/s = R',
 * so requiring R'.x = r and R'.y's parity = v accepts precisely the
 * signatures that recovery would attribute to the address.
 */
export class SignerKeys {
  readonly #capacity: number;
  /** Lower-case address → its key; Map order doubles as recency order. */
  readonly #keys = new Map<string, { key: Point; tabled: boolean }>();

  constructor(options: SignerKeysOptions = {}) {
    this.#capacity = options.capacity ?? 512;
  }

  /**
   * True when `signature` over `digest` (0x-prefixed, 32 bytes) recovers to
   * `address`. Throws when the signature is malformed (wrong length, bad v,
   * r or s out of range), as ethers' `recoverAddress` does.
   */
  isSignedBy(digest: string, signature: string, address: string): boolean {
    const parsed = Signature.from(signature);
    const r = BigInt(parsed.r);
    const s = BigInt(parsed.s);
    // Throws unless 0 < r, s < n.
    const curveSignature = new secp256k1.Signature(r, s).addRecoveryBit(parsed.yParity);
    const signer = address.toLowerCase();
    const known = this.#keys.get(signer);
    if (known === undefined) {
      const recovered = curveSignature.recoverPublicKey(getBytes(digest));
      if (computeAddress(`0x${recovered.toHex(false)}`).toLowerCase() !== signer) return false;
      this.#remember(signer, { key: recovered, tabled: false });
      return true;
    }
    if (!known.tabled) {
      secp256k1.utils.precompute(tableWindow, known.key);
      known.tabled = true;
    }
    this.#remember(signer, known);
    const sInverse = invert(s, n);
    const z = modN(BigInt(digest));
    const expected = multiplyPublic(Base, modN(z * sInverse)).add(
      multiplyPublic(known.key, modN(r * sInverse)),
    );
    if (expected.equals(Point.ZERO)) return false;
    const { x, y } = expected.toAffine();
    return x === r && Number(y & 1n) === parsed.yParity;
  }

  /** Inserts or refreshes `signer` as the most recent entry, evicting the least recent beyond capacity. */
  #remember(signer: string, entry: { key: Point; tabled: boolean }): void {
    this.#keys.delete(signer);
    this.#keys.set(signer, entry);
    if (this.#keys.size > this.#capacity) {
      const oldest = this.#keys.keys().next().value as string;
      this.#keys.delete(oldest);
    }
  }
}

/**
 * k·P for a public point and scalar, in variable time (nothing here is
 * secret). @noble/curves sizes a point's precomputed table for the halves of
 * an endomorphism-split scalar (128 bits on secp256k1), yet its
 * `multiplyUnsafe` walks that table with the whole 256-bit scalar when a table
 * exists, which gives wrong points (seen in 1.9.0). So we split first,
 * k = k1 + k2·λ, and combine k1·P with φ(k2·P), where φ(x, y) = (β·x, y) is
 * multiplication by λ. This stays right whichever way the library goes.
 */
function multiplyPublic(point: Point, scalar: bigint): Point {
  if (endo === undefined) throw new Error("secp256k1 without its endomorphism");
  const { k1neg, k1, k2neg, k2 } = endo.splitScalar(scalar);
  let low = point.multiplyUnsafe(k1);
  let high = point.multiplyUnsafe(k2);
  if (k1neg) low = low.negate();
  if (k2neg) high = high.negate();
  return low.add(new Point(Fp.mul(high.px, endo.beta), high.py, high.pz));
}
