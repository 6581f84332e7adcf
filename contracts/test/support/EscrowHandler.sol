// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {AgoraSettlementEscrow} from "../../AgoraSettlementEscrow.sol";
import {AgoraTestStablecoin} from "../../AgoraTestStablecoin.sol";
import {IAgoraSettlementEscrow} from "../../interfaces/IAgoraSettlementEscrow.sol";
import {vm} from "./Cheatcodes.sol";
import {EscrowFixture} from "./EscrowFixture.sol";

/// @title Drives the escrow through random sequences for the invariant tests
/// @notice Each action picks a task from a seed and tries one move; moves that the escrow rejects
/// are fine (they revert and change nothing). Ghost totals track every token movement in and out.
contract EscrowHandler {
    uint256 internal constant LEAVES = 4;

    EscrowFixture public immutable fixture;
    AgoraSettlementEscrow public immutable escrow;
    AgoraTestStablecoin public immutable token;

    uint256[] public taskIds;
    mapping(uint256 taskId => address[LEAVES]) internal _accounts;
    mapping(uint256 taskId => uint256[LEAVES]) internal _amounts;
    mapping(uint256 taskId => bytes32[]) internal _trees;
    mapping(uint256 taskId => mapping(uint256 index => uint256 times)) public paidTimes;

    uint256 public ghostDeposits;
    uint256 public ghostClaims;
    uint256 public ghostRefunds;
    /// Set if any claim succeeded while the task was not final (or was disputed).
    bool public claimedWhileNotFinal;
    /// Set if any leaf was paid twice.
    bool public paidTwice;

    constructor(EscrowFixture fixture_) {
        fixture = fixture_;
        escrow = fixture_.escrow();
        token = fixture_.token();
    }

    function taskCount() external view returns (uint256) {
        return taskIds.length;
    }

    function create(uint96 budget) external {
        budget = uint96(1 + (budget % 1e15));
        taskIds.push(fixture.createTask(budget));
        ghostDeposits += budget;
    }

    /// Commits a 4-leaf table; `overfill` makes the leaves add up to more than the committed total.
    function commit(uint256 seed, bool overfill) external {
        uint256 taskId = _pick(seed);
        if (taskId == 0) return;
        uint256 deposit = escrow.getTask(taskId).deposit;
        address[] memory accounts = new address[](LEAVES);
        uint256[] memory amounts = new uint256[](LEAVES);
        uint256 total;
        for (uint256 i = 0; i < LEAVES; ++i) {
            accounts[i] = address(uint160(uint256(keccak256(abi.encode(taskId, seed, i)))));
            amounts[i] = 1 + uint256(keccak256(abi.encode(seed, i))) % (deposit / LEAVES + 1);
            total += amounts[i];
            _accounts[taskId][i] = accounts[i];
            _amounts[taskId][i] = amounts[i];
        }
        uint256 committed = overfill ? total / 2 : total;
        if (committed > deposit) committed = deposit;
        bytes32[] memory tree = fixture.leaves(accounts, amounts);
        _trees[taskId] = tree;
        // Computed before the prank: any external call in between would consume it.
        bytes32 root = fixture.rootOf(tree);
        vm.prank(fixture.COORDINATOR());
        try escrow.commitPayouts(taskId, root, uint96(committed), keccak256("report")) {} catch {}
    }

    function attest(uint256 seed, uint8 auditor) external {
        uint256 taskId = _pick(seed);
        if (taskId == 0) return;
        bytes32 root = escrow.getTask(taskId).payoutRoot;
        vm.prank(address(uint160(0xA1 + (auditor % 3))));
        try escrow.attest(taskId, root) {} catch {}
    }

    function dispute(uint256 seed) external {
        uint256 taskId = _pick(seed);
        if (taskId == 0) return;
        vm.prank(fixture.AUDITOR_3());
        try escrow.dispute(taskId, keccak256("reason")) {} catch {}
    }

    function resolve(uint256 seed, bool refund) external {
        uint256 taskId = _pick(seed);
        if (taskId == 0) return;
        IAgoraSettlementEscrow.TaskView memory task = escrow.getTask(taskId);
        if (task.status != IAgoraSettlementEscrow.TaskStatus.Disputed) return;
        vm.prank(fixture.ARBITER());
        if (refund) {
            escrow.resolveByRefund(taskId);
            ghostRefunds += task.deposit;
        } else {
            // The arbiter halves the total: same root, smaller total, final at once.
            escrow.resolveByCommit(taskId, task.payoutRoot, task.committedTotal / 2, keccak256("ruling"));
        }
    }

    function warp(uint32 seconds_) external {
        vm.warp(block.timestamp + (seconds_ % 3 days));
    }

    function claim(uint256 seed, uint256 rawIndex) external {
        uint256 taskId = _pick(seed);
        if (taskId == 0 || _trees[taskId].length == 0) return;
        uint256 index = rawIndex % LEAVES;
        IAgoraSettlementEscrow.TaskView memory task = escrow.getTask(taskId);
        bool final_ = task.status == IAgoraSettlementEscrow.TaskStatus.Finalized
            || (task.status == IAgoraSettlementEscrow.TaskStatus.Committed && block.timestamp > task.challengeEndsAt);
        address account = _accounts[taskId][index];
        uint256 amount = _amounts[taskId][index];
        try escrow.claim(taskId, index, account, amount, fixture.proofOf(_trees[taskId], index)) {
            ghostClaims += amount;
            if (!final_) claimedWhileNotFinal = true;
            if (++paidTimes[taskId][index] > 1) paidTwice = true;
        } catch {}
    }

    function reclaim(uint256 seed) external {
        uint256 taskId = _pick(seed);
        if (taskId == 0) return;
        address owner = escrow.getTask(taskId).owner;
        uint256 before = token.balanceOf(owner);
        try escrow.reclaim(taskId) {
            ghostRefunds += token.balanceOf(owner) - before;
        } catch {}
    }

    function cancel(uint256 seed) external {
        uint256 taskId = _pick(seed);
        if (taskId == 0) return;
        IAgoraSettlementEscrow.TaskView memory task = escrow.getTask(taskId);
        vm.prank(task.owner);
        try escrow.cancel(taskId) {
            ghostRefunds += task.deposit;
        } catch {}
    }

    function _pick(uint256 seed) internal view returns (uint256) {
        return taskIds.length == 0 ? 0 : taskIds[seed % taskIds.length];
    }
}
