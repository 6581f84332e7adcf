// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/// @title Claimed flags, 256 to a storage word
/// @notice A claim flips one bit. Neighbouring indices share a word, so after the first claim in a
/// word every later one rewrites a non-zero slot (5,000 gas cold) instead of creating one (22,100).
library ClaimedBitmap {
    /// @notice Sets the flag of `index`; returns false, changing nothing, if it was already set.
    function trySet(mapping(uint256 => uint256) storage words, uint256 index) internal returns (bool) {
        uint256 wordIndex = index >> 8;
        uint256 mask = 1 << (index & 0xff);
        uint256 word = words[wordIndex];
        if (word & mask != 0) return false;
        words[wordIndex] = word | mask;
        return true;
    }

    /// @notice Whether the flag of `index` is set.
    function isSet(mapping(uint256 => uint256) storage words, uint256 index) internal view returns (bool) {
        return words[index >> 8] & (1 << (index & 0xff)) != 0;
    }
}
