// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {AgoraAuditAnchor} from "../AgoraAuditAnchor.sol";
import {vm} from "./support/Cheatcodes.sol";
import {SettlementTestBase} from "./support/SettlementTestBase.sol";

/// @title Fuzz tests of the audit-log anchor's append-only record
contract AuditAnchorFuzzTest is SettlementTestBase {
    address internal constant ADMIN = address(0xAD);
    address internal constant ANCHORER = address(0xA4C);
    AgoraAuditAnchor internal anchors;

    function setUp() public {
        anchors = new AgoraAuditAnchor(ADMIN, ANCHORER);
    }

    /// Anchors append in order with growing counts, and every earlier anchor reads back unchanged.
    function testFuzz_anchorsAppendAndNeverChange(bytes32 seed, uint8 steps) public {
        uint256 count = bound(steps, 1, 20);
        uint64 entries = 0;
        for (uint256 i = 0; i < count; ++i) {
            bytes32 head = keccak256(abi.encode(seed, i));
            entries += uint64(bound(uint256(head), 1, 1_000));
            vm.prank(ANCHORER);
            assertEq(anchors.anchor(head, entries), i, "index");
        }
        assertEq(anchors.anchorCount(), count, "count");
        uint64 previous = 0;
        for (uint256 i = 0; i < count; ++i) {
            AgoraAuditAnchor.Anchor memory anchor_ = anchors.anchorAt(i);
            assertTrue(anchor_.head == keccak256(abi.encode(seed, i)), "head changed");
            assertTrue(anchor_.entryCount > previous, "count did not grow");
            previous = anchor_.entryCount;
        }
        assertTrue(anchors.latest().head == keccak256(abi.encode(seed, count - 1)), "latest");
    }

    /// An anchor that does not move the entry count forward is refused.
    function testFuzz_countMustIncrease(uint64 first, uint64 second) public {
        first = uint64(bound(first, 1, type(uint64).max));
        vm.prank(ANCHORER);
        anchors.anchor(keccak256("head"), first);
        if (second <= first) {
            vm.expectRevert(
                abi.encodeWithSelector(AgoraAuditAnchor.AuditAnchorCountNotIncreasing.selector, first, second)
            );
        }
        vm.prank(ANCHORER);
        anchors.anchor(keccak256("next"), second);
    }

    /// Only the anchorer role may anchor, and a zero head is refused.
    function testFuzz_onlyAnchorerAnchors(address caller) public {
        vm.assume(caller != ANCHORER);
        vm.expectRevert(
            abi.encodeWithSelector(
                IAccessControl.AccessControlUnauthorizedAccount.selector, caller, anchors.ANCHORER_ROLE()
            )
        );
        vm.prank(caller);
        anchors.anchor(keccak256("head"), 1);
        vm.expectRevert(AgoraAuditAnchor.AuditAnchorZeroHead.selector);
        vm.prank(ANCHORER);
        anchors.anchor(bytes32(0), 1);
        assertEq(anchors.anchorCount(), 0, "nothing anchored");
    }
}
