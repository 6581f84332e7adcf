// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";

/// @title Push payouts, the baseline the Merkle escrow is measured against
/// @notice Pays every holder with one ERC-20 transfer from a loop, as a naive settlement would: the
/// payer's cost grows with the number of holders. Used by the gas benchmark only.
contract PushPayoutBaseline {
    using SafeERC20 for IERC20;

    /// @notice Transfers `amounts[i]` of `token` from the caller to `accounts[i]` for every i.
    function pushAll(IERC20 token, address[] calldata accounts, uint256[] calldata amounts) external {
        for (uint256 i = 0; i < accounts.length; ++i) {
            token.safeTransferFrom(msg.sender, accounts[i], amounts[i]);
        }
    }
}
