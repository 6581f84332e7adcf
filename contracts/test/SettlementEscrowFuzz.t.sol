// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {AgoraSettlementEscrow} from "../AgoraSettlementEscrow.sol";
import {AgoraTestStablecoin} from "../AgoraTestStablecoin.sol";
import {IAgoraSettlementEscrow} from "../interfaces/IAgoraSettlementEscrow.sol";
import {EscrowFixture} from "./support/EscrowFixture.sol";
import {vm} from "./support/Cheatcodes.sol";
import {SettlementTestBase} from "./support/SettlementTestBase.sol";

/// @title Fuzz tests of the settlement escrow's money rules
contract SettlementEscrowFuzzTest is SettlementTestBase {
    EscrowFixture internal fixture;
    // Cached: a getter call between a cheatcode and its target would consume the cheatcode.
    AgoraSettlementEscrow internal escrow;
    AgoraTestStablecoin internal token;
    address internal coordinator;
    address internal auditor1;
    address internal auditor3;
    uint256 internal window;

    function setUp() public {
        fixture = new EscrowFixture();
        escrow = fixture.escrow();
        token = fixture.token();
        coordinator = fixture.COORDINATOR();
        auditor1 = fixture.AUDITOR_1();
        auditor3 = fixture.AUDITOR_3();
        window = fixture.WINDOW();
    }

    function _table(uint256 seed, uint256 count)
        internal
        pure
        returns (address[] memory accounts, uint256[] memory amounts, uint256 total)
    {
        accounts = new address[](count);
        amounts = new uint256[](count);
        for (uint256 i = 0; i < count; ++i) {
            accounts[i] = address(uint160(uint256(keccak256(abi.encode(seed, "account", i)))));
            amounts[i] = bound(uint256(keccak256(abi.encode(seed, "amount", i))), 1, 1e12);
            total += amounts[i];
        }
    }

    /// The committed total can never exceed the deposit.
    function testFuzz_committedTotalNeverExceedsDeposit(uint96 budget, uint96 total) public {
        budget = uint96(bound(budget, 1, type(uint96).max));
        uint256 taskId = fixture.createTask(budget);
        vm.prank(coordinator);
        if (total > budget) {
            vm.expectRevert(
                abi.encodeWithSelector(IAgoraSettlementEscrow.EscrowTotalExceedsDeposit.selector, total, budget)
            );
        }
        escrow.commitPayouts(taskId, keccak256("root"), total, keccak256("report"));
        assertLe(escrow.getTask(taskId).committedTotal, budget, "committed total above deposit");
    }

    /// Every leaf pays exactly once, the sum equals the committed total, and the escrow keeps the rest.
    function testFuzz_claimsPayOnceAndNeverExceedTotal(uint256 seed, uint8 rawCount, uint96 spare) public {
        uint256 count = bound(rawCount, 1, 12);
        spare = uint96(bound(spare, 0, 1e15));
        (address[] memory accounts, uint256[] memory amounts, uint256 total) = _table(seed, count);
        bytes32[] memory tree = fixture.leaves(accounts, amounts);
        bytes32 root = fixture.rootOf(tree);
        uint256 taskId = fixture.createTask(uint96(total) + spare);
        fixture.commit(taskId, root, uint96(total));
        fixture.finalizeByAttestation(taskId, root);

        for (uint256 i = 0; i < count; ++i) {
            bytes32[] memory proof = fixture.proofOf(tree, i);
            escrow.claim(taskId, i, accounts[i], amounts[i], proof);
            assertEq(token.balanceOf(accounts[i]), amounts[i], "holder paid its amount");
            vm.expectRevert(abi.encodeWithSelector(IAgoraSettlementEscrow.EscrowAlreadyClaimed.selector, taskId, i));
            escrow.claim(taskId, i, accounts[i], amounts[i], proof);
        }
        assertEq(escrow.getTask(taskId).claimed, total, "claimed equals committed total");
        assertEq(token.balanceOf(address(escrow)), spare, "escrow keeps the remainder");
    }

    /// A root whose leaves add up to more than the committed total cannot pay more than that total.
    function testFuzz_overfullRootStopsAtCommittedTotal(uint256 seed, uint8 rawCount) public {
        uint256 count = bound(rawCount, 2, 10);
        (address[] memory accounts, uint256[] memory amounts, uint256 total) = _table(seed, count);
        bytes32[] memory tree = fixture.leaves(accounts, amounts);
        bytes32 root = fixture.rootOf(tree);
        uint256 committed = total - amounts[count - 1];
        // Other tasks' money sits in the same escrow: it must stay out of reach.
        fixture.createTask(uint96(total));
        uint256 taskId = fixture.createTask(uint96(total));
        fixture.commit(taskId, root, uint96(committed));
        fixture.finalizeByAttestation(taskId, root);
        for (uint256 i = 0; i + 1 < count; ++i) {
            escrow.claim(taskId, i, accounts[i], amounts[i], fixture.proofOf(tree, i));
        }
        bytes32[] memory lastProof = fixture.proofOf(tree, count - 1);
        vm.expectRevert(abi.encodeWithSelector(IAgoraSettlementEscrow.EscrowClaimsExceedTotal.selector, taskId));
        escrow.claim(taskId, count - 1, accounts[count - 1], amounts[count - 1], lastProof);
        assertEq(escrow.getTask(taskId).claimed, committed, "claims stop at the committed total");
    }

    /// Nothing is claimable before finalisation, nor while disputed, however much time passes.
    function testFuzz_nothingClaimableBeforeFinalOrWhileDisputed(uint256 seed, uint32 wait, bool disputed) public {
        (address[] memory accounts, uint256[] memory amounts, uint256 total) = _table(seed, 3);
        bytes32[] memory tree = fixture.leaves(accounts, amounts);
        bytes32 root = fixture.rootOf(tree);
        uint256 taskId = fixture.createTask(uint96(total));
        fixture.commit(taskId, root, uint96(total));
        vm.prank(auditor1);
        escrow.attest(taskId, root);
        if (disputed) {
            vm.prank(auditor3);
            escrow.dispute(taskId, keccak256("wrong contribution scores"));
            vm.warp(block.timestamp + wait);
        } else {
            vm.warp(block.timestamp + bound(wait, 0, window));
        }
        bytes32[] memory proof = fixture.proofOf(tree, 0);
        IAgoraSettlementEscrow.TaskStatus status = escrow.getTask(taskId).status;
        vm.expectRevert(abi.encodeWithSelector(IAgoraSettlementEscrow.EscrowNotClaimable.selector, taskId, status));
        escrow.claim(taskId, 0, accounts[0], amounts[0], proof);
    }

    /// A forged amount or account never verifies.
    function testFuzz_forgedLeafIsRejected(uint256 seed, uint256 forgedAmount) public {
        (address[] memory accounts, uint256[] memory amounts, uint256 total) = _table(seed, 4);
        vm.assume(forgedAmount != amounts[1]);
        bytes32[] memory tree = fixture.leaves(accounts, amounts);
        bytes32 root = fixture.rootOf(tree);
        uint256 taskId = fixture.createTask(uint96(total));
        fixture.commit(taskId, root, uint96(total));
        fixture.finalizeByAttestation(taskId, root);
        bytes32[] memory proof = fixture.proofOf(tree, 1);
        vm.expectRevert(abi.encodeWithSelector(IAgoraSettlementEscrow.EscrowInvalidProof.selector, taskId, 1));
        escrow.claim(taskId, 1, accounts[1], forgedAmount, proof);
    }
}
