// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";

/// @title Agora test stablecoin
/// @notice A 6-decimal dollar-like token with EIP-2612 permit, for development and the demo.
/// Anyone may mint: it has no value and must never be deployed where real money moves.
contract AgoraTestStablecoin is ERC20, ERC20Permit {
    constructor() ERC20("Agora Test Dollar", "aUSD") ERC20Permit("Agora Test Dollar") {}

    /// @inheritdoc ERC20
    function decimals() public pure override returns (uint8) {
        return 6;
    }

    /// @notice Mints `amount` minor units to `to`; open to anyone because the token is a test fixture.
    /// @param to The receiver of the new tokens.
    /// @param amount The amount in minor units (6 decimals).
    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }
}
