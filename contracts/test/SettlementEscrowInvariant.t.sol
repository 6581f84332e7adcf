// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {AgoraSettlementEscrow} from "../AgoraSettlementEscrow.sol";
import {IAgoraSettlementEscrow} from "../interfaces/IAgoraSettlementEscrow.sol";
import {EscrowFixture} from "./support/EscrowFixture.sol";
import {EscrowHandler} from "./support/EscrowHandler.sol";
import {SettlementTestBase} from "./support/SettlementTestBase.sol";

/// @title Invariants of the escrow's money, over random sequences of every action
/// @notice Runs and depth come from hardhat.config.ts (pinned seed).
contract SettlementEscrowInvariantTest is SettlementTestBase {
    EscrowHandler internal handler;
    AgoraSettlementEscrow internal escrow;

    function setUp() public {
        EscrowFixture fixture = new EscrowFixture();
        escrow = fixture.escrow();
        handler = new EscrowHandler(fixture);
        targetContract(address(handler));
    }

    /// The escrow's balance is always deposits minus claims minus refunds.
    function invariant_balanceEqualsDepositsMinusClaimsMinusRefunds() public view {
        assertEq(
            handler.token().balanceOf(address(escrow)),
            handler.ghostDeposits() - handler.ghostClaims() - handler.ghostRefunds(),
            "escrow balance"
        );
    }

    /// Per task: claims never exceed the committed total, which never exceeds the deposit.
    function invariant_claimsWithinTotalWithinDeposit() public view {
        uint256 count = handler.taskCount();
        for (uint256 i = 0; i < count; ++i) {
            IAgoraSettlementEscrow.TaskView memory task = escrow.getTask(handler.taskIds(i));
            assertLe(task.claimed, task.committedTotal, "claimed above committed total");
            assertLe(task.committedTotal, task.deposit, "committed total above deposit");
        }
    }

    /// No leaf is paid twice.
    function invariant_noAccountClaimsTwice() public view {
        assertTrue(!handler.paidTwice(), "a leaf was paid twice");
    }

    /// Nothing is ever paid before finalisation or while disputed.
    function invariant_nothingClaimedBeforeFinal() public view {
        assertTrue(!handler.claimedWhileNotFinal(), "a claim succeeded before finalisation");
    }
}
