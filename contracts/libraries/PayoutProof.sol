// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/// @title Merkle proofs of payout leaves, read straight from calldata
/// @notice Verifies the sorted-pair (commutative) proofs of the @openzeppelin/merkle-tree standard
/// format: each step hashes the smaller of the two nodes first. Accepts exactly what OpenZeppelin's
/// `MerkleProof.verifyCalldata` accepts; it exists because a claim is the hot path and that loop
/// costs about 200 gas per level, this one about 70 (the technique is Solady's `MerkleProofLib`).
library PayoutProof {
    /// @notice Whether `proof` leads from `leaf` to `root`.
    function verifyCalldata(bytes32[] calldata proof, bytes32 root, bytes32 leaf) internal pure returns (bool valid) {
        // Safe: it reads calldata and writes only the 64-byte scratch space (0x00-0x3f), which
        // Solidity reserves for hashing and never expects to survive an assembly block. The ABI
        // decoder has already checked that `proof.offset + 32 * proof.length` lies within calldata,
        // so every `calldataload` reads a proof element; `offset` cannot overflow for the same reason.
        assembly ("memory-safe") {
            let node := leaf
            if proof.length {
                let offset := proof.offset
                let end := add(offset, shl(5, proof.length))
                // Tested at the bottom: one conditional jump per level instead of a test at the top
                // and a jump back.
                for {} 1 {} {
                    let sibling := calldataload(offset)
                    // The smaller node goes first: `node` at 0x20 when it is the larger one, else at 0x00.
                    let nodeAt := shl(5, gt(node, sibling))
                    mstore(nodeAt, node)
                    mstore(xor(nodeAt, 0x20), sibling)
                    node := keccak256(0x00, 0x40)
                    offset := add(offset, 0x20)
                    if iszero(lt(offset, end)) { break }
                }
            }
            valid := eq(node, root)
        }
    }
}
