// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {AgoraSettlementEscrow} from "../../AgoraSettlementEscrow.sol";
import {AgoraTestStablecoin} from "../../AgoraTestStablecoin.sol";
import {IAgoraSettlementEscrow} from "../../interfaces/IAgoraSettlementEscrow.sol";
import {PayoutLeaf} from "../../libraries/PayoutLeaf.sol";
import {TestMerkle} from "./TestMerkle.sol";
import {vm} from "./Cheatcodes.sol";

/// @title Builds tasks and payout trees for the escrow's Solidity tests
contract EscrowFixture {
    address public constant OWNER = address(0xA11CE);
    address public constant COORDINATOR = address(0xC00D);
    address public constant AUDITOR_1 = address(0xA1);
    address public constant AUDITOR_2 = address(0xA2);
    address public constant AUDITOR_3 = address(0xA3);
    address public constant ARBITER = address(0xA7B);
    uint32 public constant WINDOW = 1 days;

    AgoraTestStablecoin public immutable token;
    AgoraSettlementEscrow public immutable escrow;
    uint256 private _termsNonce;

    constructor() {
        token = new AgoraTestStablecoin();
        escrow = new AgoraSettlementEscrow(token, address(this), ARBITER);
    }

    /// @notice Funds a task of `budget` from OWNER, 2 of 3 auditors.
    function createTask(uint96 budget) public returns (uint256 taskId) {
        address[] memory auditors = new address[](3);
        auditors[0] = AUDITOR_1;
        auditors[1] = AUDITOR_2;
        auditors[2] = AUDITOR_3;
        IAgoraSettlementEscrow.TaskTerms memory terms = IAgoraSettlementEscrow.TaskTerms({
            termsHash: keccak256(abi.encode("terms", ++_termsNonce)),
            coordinator: COORDINATOR,
            auditors: auditors,
            threshold: 2,
            budget: budget,
            trainingStartsAt: uint40(block.timestamp + 1 hours),
            commitDeadline: uint40(block.timestamp + 7 days),
            challengeWindow: WINDOW
        });
        token.mint(OWNER, budget);
        vm.prank(OWNER);
        token.approve(address(escrow), budget);
        vm.prank(OWNER);
        taskId = escrow.createTask(terms);
    }

    /// @notice Leaves paying `accounts[i]` `amounts[i]` at index i.
    function leaves(address[] memory accounts, uint256[] memory amounts) public pure returns (bytes32[] memory out) {
        out = new bytes32[](accounts.length);
        for (uint256 i = 0; i < accounts.length; ++i) out[i] = PayoutLeaf.hash(i, accounts[i], amounts[i]);
    }

    function rootOf(bytes32[] memory tree) public pure returns (bytes32) {
        return TestMerkle.root(tree);
    }

    function proofOf(bytes32[] memory tree, uint256 index) public pure returns (bytes32[] memory) {
        return TestMerkle.proof(tree, index);
    }

    function commit(uint256 taskId, bytes32 root, uint96 total) public {
        vm.prank(COORDINATOR);
        escrow.commitPayouts(taskId, root, total, keccak256("report"));
    }

    function finalizeByAttestation(uint256 taskId, bytes32 root) public {
        vm.prank(AUDITOR_1);
        escrow.attest(taskId, root);
        vm.prank(AUDITOR_2);
        escrow.attest(taskId, root);
    }
}
