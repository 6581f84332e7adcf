import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  type HDNodeWallet,
  hexlify,
  randomBytes,
  recoverAddress,
  Signature,
  TypedDataEncoder,
  Wallet,
} from "ethers";
import fc from "fast-check";
import { SignerKeys } from "../../services/identity/signer-keys.ts";
import { agoraDomain, agreementTypes, bidTypes } from "../../services/identity/typed-data.ts";
import { TypedDataDigest } from "../../services/identity/typed-data-digest.ts";

const seed = 20_240_503;
const wallets = Array.from({ length: 4 }, () => Wallet.createRandom());

/** What ethers' ecrecover says: true, false, or "throws" for a malformed signature. */
function recovers(digest: string, signature: string, address: string): boolean | "throws" {
  try {
    return recoverAddress(digest, signature).toLowerCase() === address.toLowerCase();
  } catch {
    return "throws";
  }
}
function checks(keys: SignerKeys, digest: string, signature: string, address: string) {
  try {
    return keys.isSignedBy(digest, signature, address);
  } catch {
    return "throws";
  }
}

describe("signature checks against remembered signer keys", () => {
  it("agrees with ecrecover on genuine, re-signed, tampered and flipped signatures", () => {
    const keys = new SignerKeys();
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.nat(wallets.length - 1),
        fc.nat(wallets.length - 1),
        fc.constantFrom("genuine", "flipped-v", "other-digest", "tampered-s"),
        (bytes, signerIndex, claimedIndex, variant) => {
          const digest = hexlify(bytes);
          const signer = wallets[signerIndex] as HDNodeWallet;
          const claimed = (wallets[claimedIndex] as HDNodeWallet).address;
          const signature = Signature.from(signer.signingKey.sign(digest));
          let serialized = signature.serialized;
          let checkedDigest = digest;
          if (variant === "flipped-v") {
            serialized = Signature.from({
              r: signature.r,
              s: signature.s,
              v: 55 - signature.v,
            }).serialized;
          } else if (variant === "other-digest") {
            checkedDigest = hexlify(randomBytes(32));
          } else if (variant === "tampered-s") {
            const s = (BigInt(signature.s) ^ 1n).toString(16).padStart(64, "0");
            serialized = `${serialized.slice(0, 66)}${s}${serialized.slice(130)}`;
          }
          // Twice: the first check may recover the key, the second uses it.
          for (let round = 0; round < 2; round++) {
            assert.equal(
              checks(keys, checkedDigest, serialized, claimed),
              recovers(checkedDigest, serialized, claimed),
              `${variant}, signer ${signerIndex}, claimed ${claimedIndex}, round ${round}`,
            );
          }
        },
      ),
      { seed, numRuns: 200 },
    );
  });

  it("throws on malformed signatures, as ethers does", () => {
    const keys = new SignerKeys();
    const digest = hexlify(randomBytes(32));
    const address = (wallets[0] as HDNodeWallet).address;
    assert.throws(() => keys.isSignedBy(digest, "0x1234", address));
    assert.throws(() => keys.isSignedBy(digest, `0x${"00".repeat(64)}1b`, address));
  });

  it("stays right when keys are evicted and come back", () => {
    const keys = new SignerKeys({ capacity: 2 });
    for (let round = 0; round < 3; round++) {
      for (const wallet of wallets) {
        const digest = hexlify(randomBytes(32));
        const signature = wallet.signingKey.sign(digest).serialized;
        assert.equal(keys.isSignedBy(digest, signature, wallet.address), true);
        const other = wallets[(wallets.indexOf(wallet) + 1) % wallets.length] as HDNodeWallet;
        assert.equal(keys.isSignedBy(digest, signature, other.address), false);
      }
    }
  });
});

describe("EIP-712 digests with cached encoders", () => {
  it("matches TypedDataEncoder.hash for bids and agreements", () => {
    const domain = agoraDomain(31337, "0x5FbDB2315678afecb367f032d93F642f64180aa3");
    const digests = new TypedDataDigest(domain);
    const bid = {
      taskId: hexlify(randomBytes(32)),
      signer: (wallets[0] as HDNodeWallet).address,
      price: 2_500_000n,
      samples: 600n,
      modelTier: 1,
      epsilonMicros: 1_500_000n,
      throughputMilli: 850_000n,
      attributesHash: hexlify(randomBytes(32)),
      nonce: 7n,
      expiry: 1_900_000_000n,
    };
    const agreement = {
      taskId: bid.taskId,
      signer: bid.signer,
      termsHash: hexlify(randomBytes(32)),
      nonce: 8n,
      expiry: 1_900_000_000n,
    };
    for (let i = 0; i < 2; i++) {
      assert.equal(digests.of(bidTypes, bid), TypedDataEncoder.hash(domain, bidTypes, bid));
      assert.equal(
        digests.of(agreementTypes, agreement),
        TypedDataEncoder.hash(domain, agreementTypes, agreement),
      );
    }
    assert.throws(() => digests.of(bidTypes, { ...bid, samples: 2n ** 64n }));
  });
});
