// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/// @title The cheatcodes these tests use, at the address every Foundry-style runner serves them
/// @notice Declared here rather than imported: the npm `forge-std` (1.1.x) predates the `src/`
/// layout that Hardhat resolves it through. Signatures match forge-std's `Vm`.
interface Cheatcodes {
    function warp(uint256 timestamp) external;
    function prank(address sender) external;
    function startPrank(address sender) external;
    function stopPrank() external;
    function expectRevert(bytes calldata revertData) external;
    function expectRevert(bytes4 selector) external;
    function assume(bool condition) external pure;
}

/// @dev keccak256("hevm cheat code"), the runner's cheatcode address.
Cheatcodes constant vm = Cheatcodes(0x7109709ECfa91a80626fF3989D68f67F5b1DD12D);
