// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {ClaimedBitmap} from "../libraries/ClaimedBitmap.sol";
import {PayoutLeaf} from "../libraries/PayoutLeaf.sol";
import {PayoutProof} from "../libraries/PayoutProof.sol";
import {SettlementTestBase} from "./support/SettlementTestBase.sol";
import {TestMerkle} from "./support/TestMerkle.sol";

/// @title Fuzz tests of the claim path's assembly libraries against their Solidity references
contract ClaimLibrariesFuzzTest is SettlementTestBase {
    using ClaimedBitmap for mapping(uint256 => uint256);

    mapping(uint256 => uint256) private _words;

    /// @dev External so both verifiers read the proof from calldata, as a claim does.
    function verifyBoth(bytes32[] calldata proof, bytes32 root, bytes32 leaf)
        external
        pure
        returns (bool ours, bool expected)
    {
        ours = PayoutProof.verifyCalldata(proof, root, leaf);
        expected = MerkleProof.verifyCalldata(proof, root, leaf);
    }

    /// @dev The root OpenZeppelin's verifier derives from `proof` and `leaf`.
    function processReference(bytes32[] calldata proof, bytes32 leaf) external pure returns (bytes32) {
        return MerkleProof.processProofCalldata(proof, leaf);
    }

    /// Every leaf of a random tree verifies, and a proof with one bit flipped is judged as
    /// OpenZeppelin's MerkleProof judges it.
    function testFuzz_treeProofsMatchMerkleProof(uint256 seed, uint8 size, uint256 index, uint256 flip) public view {
        uint256 count = bound(size, 1, 40);
        index = bound(index, 0, count - 1);
        bytes32[] memory leaves = new bytes32[](count);
        for (uint256 i = 0; i < count; ++i) {
            leaves[i] = PayoutLeaf.hash(i, address(uint160(uint256(keccak256(abi.encode(seed, i))))), seed ^ i);
        }
        bytes32 root = TestMerkle.root(leaves);
        bytes32[] memory path = TestMerkle.proof(leaves, index);

        (bool ours, bool expected) = this.verifyBoth(path, root, leaves[index]);
        assertTrue(ours && expected, "valid proof rejected");

        bytes32 bit = bytes32(uint256(1) << (flip & 0xff));
        if (path.length == 0) {
            (ours, expected) = this.verifyBoth(path, root, leaves[index] ^ bit);
        } else {
            path[(flip >> 8) % path.length] ^= bit;
            (ours, expected) = this.verifyBoth(path, root, leaves[index]);
        }
        assertTrue(ours == expected, "tampered proof judged differently");
        assertTrue(!ours, "tampered proof accepted");
    }

    /// Arbitrary proofs, against the root they lead to and against an arbitrary root, get
    /// OpenZeppelin's verdict (covers equal siblings and empty proofs).
    function testFuzz_arbitraryProofsMatchMerkleProof(bytes32[] calldata proof, bytes32 leaf, bytes32 otherRoot)
        public
        view
    {
        bytes32 root = this.processReference(proof, leaf);
        (bool ours, bool expected) = this.verifyBoth(proof, root, leaf);
        assertTrue(ours && expected, "proof rejected against its own root");
        (ours, expected) = this.verifyBoth(proof, otherRoot, leaf);
        assertTrue(ours == expected, "judged differently against another root");
        bytes32[] memory repeated = new bytes32[](3);
        repeated[0] = leaf;
        repeated[1] = leaf;
        repeated[2] = otherRoot;
        root = this.processReference(repeated, leaf);
        (ours, expected) = this.verifyBoth(repeated, root, leaf);
        assertTrue(ours && expected, "proof with equal siblings rejected");
    }

    /// A flag is set once, reads back set, and leaves every other flag alone.
    function testFuzz_bitmapSetsOneFlagOnce(uint256 index, uint256 other) public {
        if (other == index) other = index ^ 1;
        assertTrue(!_words.isSet(index), "set before trySet");
        assertTrue(_words.trySet(index), "first trySet refused");
        assertTrue(_words.isSet(index), "not set after trySet");
        assertTrue(!_words.trySet(index), "second trySet accepted");
        assertTrue(!_words.isSet(other), "another flag changed");
        assertEq(_words[index >> 8], 1 << (index & 0xff), "word holds more than the one flag");
        assertTrue(_words.trySet(other), "trySet of another index refused");
        assertTrue(_words.isSet(index) && _words.isSet(other), "flags lost");
    }
}
