// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {Hashes} from "@openzeppelin/contracts/utils/cryptography/Hashes.sol";

/// @title Merkle trees for Solidity tests
/// @notice Builds a tree with the commutative (sorted-pair) hashing MerkleProof verifies; an odd
/// node is carried up unpaired. Leaves are hashed by the caller (PayoutLeaf.hash).
library TestMerkle {
    function root(bytes32[] memory leaves) internal pure returns (bytes32) {
        bytes32[] memory layer = leaves;
        while (layer.length > 1) layer = _next(layer);
        return layer[0];
    }

    function proof(bytes32[] memory leaves, uint256 index) internal pure returns (bytes32[] memory path) {
        bytes32[] memory scratch = new bytes32[](64);
        uint256 depth;
        bytes32[] memory layer = leaves;
        while (layer.length > 1) {
            uint256 sibling = index ^ 1;
            if (sibling < layer.length) scratch[depth++] = layer[sibling];
            layer = _next(layer);
            index >>= 1;
        }
        path = new bytes32[](depth);
        for (uint256 i = 0; i < depth; ++i) path[i] = scratch[i];
    }

    function _next(bytes32[] memory layer) private pure returns (bytes32[] memory next) {
        next = new bytes32[]((layer.length + 1) / 2);
        for (uint256 i = 0; i < next.length; ++i) {
            uint256 left = 2 * i;
            next[i] = left + 1 < layer.length ? Hashes.commutativeKeccak256(layer[left], layer[left + 1]) : layer[left];
        }
    }
}
