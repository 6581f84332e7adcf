import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { Wallet } from "ethers";
import { AgoraError } from "../../services/errors/agora-error.ts";
import {
  holderClaimsOf,
  parseHolderClaims,
} from "../../services/settlement/merkle/holder-claims.ts";
import {
  buildPayoutTree,
  loadPayoutTree,
  PAYOUT_LEAF_ENCODING,
} from "../../services/settlement/merkle/payout-tree.ts";

const rows = Array.from({ length: 37 }, (_, i) => ({
  account: Wallet.createRandom().address,
  amount: BigInt(i + 1) * 1_000_003n,
}));

describe("payout tree", () => {
  it("every proof verifies in the standard format, and the total is the sum", () => {
    const tree = buildPayoutTree(rows);
    assert.equal(tree.leafCount, 37);
    assert.equal(
      tree.total,
      rows.reduce((sum, row) => sum + row.amount, 0n),
    );
    for (const leaf of tree.allProofs()) {
      const values = [leaf.index.toString(), leaf.account, leaf.amount.toString()];
      assert.equal(
        StandardMerkleTree.verify(tree.root, [...PAYOUT_LEAF_ENCODING], values, leaf.proof),
        true,
      );
    }
    const row = rows[5];
    assert.ok(row);
    assert.equal(tree.proofFor(row.account.toLowerCase())?.amount, row.amount);
    assert.equal(tree.proofFor(Wallet.createRandom().address), undefined);
  });

  it("the same table gives the same root; a changed amount changes it", () => {
    assert.equal(buildPayoutTree(rows).root, buildPayoutTree(rows).root);
    const changed = rows.map((row, i) => (i === 3 ? { ...row, amount: row.amount + 1n } : row));
    assert.notEqual(buildPayoutTree(changed).root, buildPayoutTree(rows).root);
  });

  it("dumps and loads; a tampered dump is rejected", () => {
    const tree = buildPayoutTree(rows);
    const dump = JSON.parse(JSON.stringify(tree.dump()));
    const loaded = loadPayoutTree(dump);
    assert.equal(loaded.root, tree.root);
    assert.deepEqual(loaded.proofAt(7), tree.proofAt(7));
    dump.values[0].value[2] = "999999999";
    assert.throws(
      () => loadPayoutTree(dump),
      (error: unknown) => error instanceof AgoraError && error.kind === "invalid",
    );
  });

  it("rejects bad tables with one issue per bad row", () => {
    const first = rows[0];
    assert.ok(first);
    assert.throws(
      () =>
        buildPayoutTree([
          first,
          { account: "not-an-address", amount: 5n },
          { account: first.account, amount: 0n },
          { account: Wallet.createRandom().address, amount: 1n << 96n },
        ]),
      (error: unknown) => {
        assert.ok(error instanceof AgoraError);
        assert.equal(error.kind, "invalid");
        assert.deepEqual(
          error.issues.map((issue) => issue.pointer),
          ["/1/account", "/2/account", "/2/amount", "/3/amount"],
        );
        return true;
      },
    );
    assert.throws(() => buildPayoutTree([]), AgoraError);
    assert.throws(
      () => buildPayoutTree(rows).proofAt(99),
      (error: unknown) => (error as AgoraError).kind === "not_found",
    );
  });

  it("serves holders a JSON claims document that parses back", () => {
    const tree = buildPayoutTree(rows);
    const escrow = Wallet.createRandom().address;
    const document = holderClaimsOf(tree, { taskId: 7n, escrow, chainId: 31337n });
    const parsed = parseHolderClaims(JSON.parse(JSON.stringify(document)));
    const row = rows[9];
    assert.ok(row);
    const claim = parsed.claims[row.account];
    assert.ok(claim);
    assert.equal(BigInt(claim.amount), row.amount);
    assert.deepEqual(claim.proof, tree.proofFor(row.account)?.proof);
    assert.throws(() => parseHolderClaims({ ...document, root: "0x12" }), AgoraError);
  });
});
