// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/// @title Payout leaves in the @openzeppelin/merkle-tree standard format
/// @notice A leaf is `keccak256(bytes.concat(keccak256(abi.encode(index, account, amount))))` for the
/// leaf encoding `["uint256", "address", "uint256"]`. Hashing twice keeps a 64-byte inner node from
/// ever being accepted as a leaf (second-preimage resistance), which is what that format promises.
library PayoutLeaf {
    /// @notice The double-hashed leaf of one payout row.
    function hash(uint256 index, address account, uint256 amount) internal pure returns (bytes32 leaf) {
        assembly ("memory-safe") {
            let free := mload(0x40)
            mstore(free, index)
            mstore(add(free, 0x20), and(account, 0xffffffffffffffffffffffffffffffffffffffff))
            mstore(add(free, 0x40), amount)
            mstore(0x00, keccak256(free, 0x60))
            leaf := keccak256(0x00, 0x20)
        }
    }
}
