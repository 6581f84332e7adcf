// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/// @title Claimed flags, 256 to a storage word
/// @notice A claim flips one bit. Neighbouring indices share a word, so after the first claim in a
/// word every later one rewrites a non-zero slot (5,000 gas cold) instead of creating one (22,100).
library ClaimedBitmap {
    /// @notice Sets the flag of `index`; returns false, changing nothing, if it was already set.
    /// @dev In assembly so the word's slot is hashed once: the compiler hashes it again for the write.
    function trySet(mapping(uint256 => uint256) storage words, uint256 index) internal returns (bool set) {
        // Safe: `words[index >> 8]` lives at keccak256(abi.encode(index >> 8, words.slot)), Solidity's
        // mapping layout, hashed in the scratch space (0x00-0x3f) that assembly may overwrite; the
        // shift amount `index & 0xff` is below 256, so `mask` has exactly one bit set.
        assembly ("memory-safe") {
            mstore(0x00, shr(8, index))
            mstore(0x20, words.slot)
            let slot := keccak256(0x00, 0x40)
            let word := sload(slot)
            let mask := shl(and(index, 0xff), 1)
            set := iszero(and(word, mask))
            if set { sstore(slot, or(word, mask)) }
        }
    }

    /// @notice Whether the flag of `index` is set.
    function isSet(mapping(uint256 => uint256) storage words, uint256 index) internal view returns (bool) {
        return words[index >> 8] & (1 << (index & 0xff)) != 0;
    }
}
