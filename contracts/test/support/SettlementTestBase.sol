// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {Strings} from "@openzeppelin/contracts/utils/Strings.sol";
import {vm} from "./Cheatcodes.sol";

/// @title Minimal base for Hardhat's Solidity tests
/// @notice The `forge-std` on npm (1.1.x) predates the layout Hardhat resolves and depends on an
/// unpublished `ds-test`, so this base stands in for the little of it these tests need: assertions
/// revert (which fails the test), and `targetContracts` is the hook the invariant fuzzer reads
/// (the same ABI as forge-std's StdInvariant).
abstract contract SettlementTestBase {
    address[] private _targetedContracts;

    function targetContracts() public view returns (address[] memory) {
        return _targetedContracts;
    }

    function targetContract(address target) internal {
        _targetedContracts.push(target);
    }

    function assertTrue(bool condition, string memory message) internal pure {
        require(condition, message);
    }

    function assertEq(uint256 actual, uint256 expected, string memory message) internal pure {
        if (actual != expected) {
            revert(string.concat(message, ": ", Strings.toString(actual), " != ", Strings.toString(expected)));
        }
    }

    function assertLe(uint256 actual, uint256 limit, string memory message) internal pure {
        if (actual > limit) revert(string.concat(message, ": ", Strings.toString(actual), " > ", Strings.toString(limit)));
    }

    function bound(uint256 value, uint256 min, uint256 max) internal pure returns (uint256) {
        require(min <= max, "bound: min > max");
        return min + (value % (max - min + 1));
    }
}
