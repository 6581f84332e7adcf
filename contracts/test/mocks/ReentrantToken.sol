// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title A malicious ERC-20 that calls back into the escrow while it transfers
/// @notice Arm it with a call (e.g. `claim` or `reclaim`); the next outgoing transfer from the
/// escrow performs that call first and bubbles up its revert, so a rejected reentry fails the
/// outer transaction with the guard's own error.
contract ReentrantToken is ERC20 {
    address public target;
    bytes public reentryCall;
    bool private _reentering;

    constructor() ERC20("Reentrant", "RE") {}

    /// @notice Mints freely: a test fixture.
    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    /// @notice Sets the call made into `target_` during the next transfer out of `target_`.
    function arm(address target_, bytes calldata call) external {
        target = target_;
        reentryCall = call;
    }

    function _update(address from, address to, uint256 value) internal override {
        if (from == target && target != address(0) && !_reentering && reentryCall.length > 0) {
            _reentering = true;
            (bool ok, bytes memory reason) = target.call(reentryCall);
            if (!ok) {
                assembly ("memory-safe") {
                    revert(add(reason, 0x20), mload(reason))
                }
            }
            _reentering = false;
        }
        super._update(from, to, value);
    }
}
