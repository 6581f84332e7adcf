// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/// @title Agora settlement escrow: types, events and errors
/// @notice Shared by the escrow, its tests and the TypeScript bindings generated from its ABI.
interface IAgoraSettlementEscrow {
    /// @notice Where a task stands. `Committed` becomes claimable on its own once the challenge
    /// window has passed with no dispute; `Finalized` is set by k attestations, an arbiter's
    /// commit, or the first reclaim after the window.
    enum TaskStatus {
        None,
        Funded,
        Committed,
        Disputed,
        Finalized,
        Cancelled,
        Refunded
    }

    /// @notice The terms an owner funds a task with.
    /// @param termsHash Hash of the off-chain task terms (model, rounds, privacy bound, payout rule).
    /// @param coordinator The only account allowed to commit the payout table.
    /// @param auditors The task's auditors (at most `MAX_AUDITORS`, no duplicates).
    /// @param threshold How many auditors must attest a root before it is final (k of n).
    /// @param budget The deposit pulled from the owner, in the escrow token's minor units.
    /// @param trainingStartsAt Before this time, and before an agreement is anchored, the owner may cancel.
    /// @param commitDeadline If no payout root is committed by then, the whole deposit can be reclaimed.
    /// @param challengeWindow Seconds after a commit during which auditors or the owner may dispute.
    struct TaskTerms {
        bytes32 termsHash;
        address coordinator;
        address[] auditors;
        uint8 threshold;
        uint96 budget;
        uint40 trainingStartsAt;
        uint40 commitDeadline;
        uint32 challengeWindow;
    }

    /// @notice One payout leaf with its proof, for `claimMany`.
    struct PayoutClaim {
        uint256 index;
        address account;
        uint256 amount;
        bytes32[] proof;
    }

    /// @notice A read-only view of a task, for clients.
    struct TaskView {
        TaskStatus status;
        uint8 threshold;
        uint8 attestations;
        uint8 auditorCount;
        uint40 challengeEndsAt;
        uint40 trainingStartsAt;
        uint40 commitDeadline;
        uint32 challengeWindow;
        uint32 commitNumber;
        bool remainderReclaimed;
        bool claimable;
        address owner;
        address coordinator;
        uint96 deposit;
        uint96 committedTotal;
        uint96 claimed;
        bytes32 payoutRoot;
        bytes32 termsHash;
        bytes32 agreementHash;
        bytes32 reportHash;
    }

    event TaskCreated(
        uint256 indexed taskId,
        address indexed owner,
        address indexed coordinator,
        bytes32 termsHash,
        uint96 deposit,
        address[] auditors,
        uint8 threshold,
        uint40 trainingStartsAt,
        uint40 commitDeadline,
        uint32 challengeWindow
    );
    event AgreementAnchored(uint256 indexed taskId, bytes32 agreementHash);
    event PayoutsCommitted(
        uint256 indexed taskId,
        bytes32 root,
        uint96 total,
        bytes32 reportHash,
        uint32 commitNumber,
        uint40 challengeEndsAt
    );
    event PayoutsAttested(uint256 indexed taskId, address indexed auditor, bytes32 root, uint8 attestations);
    event PayoutsFinalized(uint256 indexed taskId, bytes32 root);
    event TaskDisputed(uint256 indexed taskId, address indexed by, bytes32 reasonHash);
    event DisputeResolved(uint256 indexed taskId, bool refunded);
    /// @dev No leaf index: a table pays each account once, so (taskId, account) names the leaf, and
    /// 32 bytes less log data is 256 gas less on every claim.
    event Claimed(uint256 indexed taskId, address indexed account, uint256 amount);
    event RemainderReclaimed(uint256 indexed taskId, address indexed owner, uint256 amount);
    event TaskRefunded(uint256 indexed taskId, address indexed owner, uint256 amount);
    event TaskCancelled(uint256 indexed taskId, address indexed owner, uint256 amount);

    error EscrowUnknownTask(uint256 taskId);
    error EscrowTaskAlreadyCreated(uint256 taskId);
    error EscrowInvalidTerms(string reason);
    error EscrowAmountTooLarge(uint256 amount);
    error EscrowWrongStatus(uint256 taskId, TaskStatus status);
    error EscrowNotOwner(uint256 taskId, address caller);
    error EscrowNotCoordinator(uint256 taskId, address caller);
    error EscrowNotAuditor(uint256 taskId, address caller);
    error EscrowNotOwnerOrAuditor(uint256 taskId, address caller);
    error EscrowZeroHash();
    error EscrowAgreementAlreadyAnchored(uint256 taskId);
    error EscrowTrainingStarted(uint256 taskId);
    error EscrowCommitDeadlinePassed(uint256 taskId, uint40 commitDeadline);
    error EscrowTotalExceedsDeposit(uint256 total, uint256 deposit);
    error EscrowRootMismatch(bytes32 expected, bytes32 given);
    error EscrowChallengeWindowClosed(uint256 taskId, uint40 challengeEndsAt);
    error EscrowAlreadyAttested(uint256 taskId, address auditor);
    error EscrowInvalidSignature();
    error EscrowNotClaimable(uint256 taskId, TaskStatus status);
    error EscrowAlreadyClaimed(uint256 taskId, uint256 index);
    error EscrowInvalidProof(uint256 taskId, uint256 index);
    error EscrowClaimsExceedTotal(uint256 taskId);
    error EscrowNothingToReclaim(uint256 taskId);
    error EscrowEmptyBatch();
}
