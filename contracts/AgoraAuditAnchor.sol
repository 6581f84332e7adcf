// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";

/// @title Agora audit-log anchor
/// @notice An append-only public record of the audit log's head: each anchor is the hash of the
/// log's last entry and how many entries the log held then. Whoever keeps a copy of the log can
/// check it against these anchors, so the operator cannot rewrite history before an anchor
/// without the mismatch showing.
/// @dev Anchors are never changed or removed, and entry counts strictly increase: the log only
/// grows, so an anchor that does not move the count forward is either a repeat or a rewrite.
contract AgoraAuditAnchor is AccessControl {
    /// @notice May append anchors (the service that writes the audit log).
    bytes32 public constant ANCHORER_ROLE = keccak256("ANCHORER_ROLE");

    /// @dev One slot: the head, then the count and the block time packed together.
    struct Anchor {
        bytes32 head;
        uint64 entryCount;
        uint64 anchoredAt;
    }

    Anchor[] private _anchors;

    /// @notice A head was anchored; `index` is its position in the record.
    event AuditHeadAnchored(uint256 indexed index, bytes32 indexed head, uint64 entryCount, address anchorer);

    /// @notice The head hash was zero, which no log entry hashes to.
    error AuditAnchorZeroHead();
    /// @notice The entry count did not grow past the latest anchor's.
    error AuditAnchorCountNotIncreasing(uint64 latest, uint64 given);
    /// @notice No anchor at that index.
    error AuditAnchorMissing(uint256 index);

    /// @param admin Gets the admin role, which grants and revokes the anchorer role.
    /// @param anchorer Gets the anchorer role; may be the zero address to grant it later.
    constructor(address admin, address anchorer) {
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        if (anchorer != address(0)) _grantRole(ANCHORER_ROLE, anchorer);
    }

    /// @notice Appends an anchor of the log's head. Anchorer only.
    /// @param head Hash of the log's last entry.
    /// @param entryCount How many entries the log holds up to and including that entry.
    /// @return index Position of the new anchor.
    function anchor(bytes32 head, uint64 entryCount) external onlyRole(ANCHORER_ROLE) returns (uint256 index) {
        if (head == bytes32(0)) revert AuditAnchorZeroHead();
        index = _anchors.length;
        uint64 latestCount = index == 0 ? 0 : _anchors[index - 1].entryCount;
        if (entryCount <= latestCount) revert AuditAnchorCountNotIncreasing(latestCount, entryCount);
        _anchors.push(Anchor({head: head, entryCount: entryCount, anchoredAt: uint64(block.timestamp)}));
        emit AuditHeadAnchored(index, head, entryCount, msg.sender);
    }

    /// @notice How many anchors the record holds.
    function anchorCount() external view returns (uint256) {
        return _anchors.length;
    }

    /// @notice The anchor at `index`, oldest first.
    function anchorAt(uint256 index) external view returns (Anchor memory) {
        if (index >= _anchors.length) revert AuditAnchorMissing(index);
        return _anchors[index];
    }

    /// @notice The newest anchor, or an all-zero anchor when there is none yet.
    function latest() external view returns (Anchor memory anchor_) {
        uint256 count = _anchors.length;
        if (count > 0) anchor_ = _anchors[count - 1];
    }
}
