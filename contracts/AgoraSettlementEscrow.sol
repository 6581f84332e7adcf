// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Permit.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {IAgoraSettlementEscrow} from "./interfaces/IAgoraSettlementEscrow.sol";
import {ClaimedBitmap} from "./libraries/ClaimedBitmap.sol";
import {PayoutLeaf} from "./libraries/PayoutLeaf.sol";
import {PayoutProof} from "./libraries/PayoutProof.sol";

/// @title Agora settlement escrow
/// @notice Holds each task's budget in one ERC-20, takes the coordinator's Merkle root of payouts,
/// lets the task's auditors attest it (k of n) or dispute it within a challenge window, and lets
/// holders pull their payouts with a proof. Settlement costs the owner and the coordinator the same
/// whatever the number of holders: nothing on chain loops over participants.
/// @dev One escrow serves one token, fixed at deployment: the token is an immutable, so a claim
/// reads two storage slots of the task (hot state, root) and nothing else of the escrow.
contract AgoraSettlementEscrow is IAgoraSettlementEscrow, AccessControl, EIP712, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;
    using ClaimedBitmap for mapping(uint256 => uint256);

    /// @notice May settle a disputed task by a new commit or a refund.
    bytes32 public constant ARBITER_ROLE = keccak256("ARBITER_ROLE");
    /// @notice Upper bound on a task's auditor set, which `createTask` loops over once.
    uint256 public constant MAX_AUDITORS = 32;
    /// @notice Longest challenge window accepted, so funds cannot be frozen for years by mistake.
    uint32 public constant MAX_CHALLENGE_WINDOW = 30 days;
    /// @notice EIP-712 type of an auditor's off-chain attestation, relayed by anyone.
    bytes32 public constant ATTESTATION_TYPEHASH =
        keccak256("Attestation(uint256 taskId,bytes32 root,uint32 commitNumber)");

    /// @dev Field order is the storage layout. Slot 0 holds everything a claim reads or writes besides
    /// the root, so a claim costs two cold reads and one warm write of the task; claims read and write
    /// slot 0 as one word, at the bit offsets below, so reordering its fields means updating those.
    struct Task {
        // slot 0
        TaskStatus status;
        uint8 threshold;
        uint8 attestations;
        uint40 challengeEndsAt;
        uint96 committedTotal;
        uint96 claimed;
        // slot 1
        bytes32 payoutRoot;
        // slot 2
        address owner;
        uint96 deposit;
        // slot 3
        address coordinator;
        uint40 trainingStartsAt;
        uint40 commitDeadline;
        uint8 auditorCount;
        bool remainderReclaimed;
        // slot 4
        uint32 challengeWindow;
        uint32 commitNumber;
        // slots 5-7
        bytes32 termsHash;
        bytes32 agreementHash;
        bytes32 reportHash;
    }

    /// @dev `seated` marks a member of the task's auditor set; `attestedCommit` is the commit number
    /// it last attested, so a new commit by the arbiter needs fresh attestations.
    struct AuditorSeat {
        bool seated;
        uint32 attestedCommit;
    }

    /// @dev Bit offsets of slot 0's fields: Solidity packs a slot's fields from its low-order end in
    /// declaration order (status, threshold and attestations take bits 0-23).
    uint256 private constant _CHALLENGE_ENDS_AT_OFFSET = 24;
    uint256 private constant _COMMITTED_TOTAL_OFFSET = 64;
    uint256 private constant _CLAIMED_OFFSET = 160;
    /// @dev Slot 0 without `claimed`, which fills its top 96 bits.
    uint256 private constant _BELOW_CLAIMED_MASK = (1 << _CLAIMED_OFFSET) - 1;

    /// @notice The token every task of this escrow is funded and paid in.
    IERC20 public immutable token;

    uint256 private _lastTaskId;
    mapping(uint256 taskId => Task) private _tasks;
    mapping(uint256 taskId => mapping(uint256 wordIndex => uint256)) private _claimedWords;
    mapping(uint256 taskId => mapping(address auditor => AuditorSeat)) private _auditors;
    mapping(bytes32 ownerAndTerms => uint256 taskId) private _taskIdByTerms;

    /// @param settlementToken The ERC-20 of every deposit and payout.
    /// @param admin Receives the admin role, which grants and revokes arbiters.
    /// @param arbiter Receives the arbiter role.
    constructor(IERC20 settlementToken, address admin, address arbiter) EIP712("AgoraSettlementEscrow", "1") {
        if (address(settlementToken) == address(0) || admin == address(0)) revert EscrowInvalidTerms("zero address");
        token = settlementToken;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        if (arbiter != address(0)) _grantRole(ARBITER_ROLE, arbiter);
    }

    // ---------------------------------------------------------------- funding

    /// @notice Creates a task and pulls `terms.budget` from the caller, who becomes its owner.
    /// @dev The same owner cannot fund the same terms hash twice, so a retried transaction whose
    /// first attempt landed reverts with the existing id instead of locking a second budget.
    /// @param terms The task's terms; see `TaskTerms`.
    /// @return taskId The new task's id, sequential from 1.
    function createTask(TaskTerms calldata terms) external nonReentrant returns (uint256 taskId) {
        return _createTask(terms);
    }

    /// @notice Like `createTask`, approving the escrow with an EIP-2612 permit in the same transaction.
    /// @dev A failing permit is ignored (someone may have front-run it with the same signature); the
    /// transfer then succeeds or fails on the allowance alone.
    function createTaskWithPermit(TaskTerms calldata terms, uint256 permitDeadline, uint8 v, bytes32 r, bytes32 s)
        external
        nonReentrant
        returns (uint256 taskId)
    {
        try IERC20Permit(address(token)).permit(msg.sender, address(this), terms.budget, permitDeadline, v, r, s) {}
            catch {}
        return _createTask(terms);
    }

    /// @notice Records the hash of the signed agreement between the owner and the winning holders.
    /// @param taskId The task.
    /// @param agreementHash The EIP-712 hash of the agreement; once anchored the owner can no longer cancel.
    function anchorAgreement(uint256 taskId, bytes32 agreementHash) external {
        Task storage task = _existingTask(taskId);
        if (msg.sender != task.owner && msg.sender != task.coordinator) {
            revert EscrowNotOwner(taskId, msg.sender);
        }
        if (task.status != TaskStatus.Funded) revert EscrowWrongStatus(taskId, task.status);
        if (agreementHash == bytes32(0)) revert EscrowZeroHash();
        if (task.agreementHash != bytes32(0)) revert EscrowAgreementAlreadyAnchored(taskId);
        task.agreementHash = agreementHash;
        emit AgreementAnchored(taskId, agreementHash);
    }

    /// @notice Refunds the whole deposit to the owner before training starts.
    /// @dev Allowed only while funded, before `trainingStartsAt` and before an agreement is anchored.
    function cancel(uint256 taskId) external nonReentrant {
        Task storage task = _existingTask(taskId);
        if (msg.sender != task.owner) revert EscrowNotOwner(taskId, msg.sender);
        if (task.status != TaskStatus.Funded) revert EscrowWrongStatus(taskId, task.status);
        if (task.agreementHash != bytes32(0) || block.timestamp >= task.trainingStartsAt) {
            revert EscrowTrainingStarted(taskId);
        }
        task.status = TaskStatus.Cancelled;
        uint256 amount = task.deposit;
        emit TaskCancelled(taskId, task.owner, amount);
        token.safeTransfer(task.owner, amount);
    }

    // ------------------------------------------------------------- settlement

    /// @notice Commits the Merkle root of the payout table. Coordinator only, once, before the deadline.
    /// @param taskId The task.
    /// @param root Root of the `(uint256 index, address account, uint256 amount)` standard Merkle tree.
    /// @param total Sum of all leaf amounts; claims can never exceed it, and it cannot exceed the deposit.
    /// @param reportHash Hash of the contribution report the payouts were derived from.
    function commitPayouts(uint256 taskId, bytes32 root, uint96 total, bytes32 reportHash) external {
        Task storage task = _existingTask(taskId);
        if (msg.sender != task.coordinator) revert EscrowNotCoordinator(taskId, msg.sender);
        if (task.status != TaskStatus.Funded) revert EscrowWrongStatus(taskId, task.status);
        if (block.timestamp > task.commitDeadline) revert EscrowCommitDeadlinePassed(taskId, task.commitDeadline);
        uint40 challengeEndsAt = uint40(block.timestamp) + task.challengeWindow;
        _commit(taskId, task, root, total, reportHash, TaskStatus.Committed, challengeEndsAt);
    }

    /// @notice Attests that the committed root is right. The k-th attestation finalises the payouts.
    /// @param taskId The task.
    /// @param root The root the auditor checked; must equal the committed one.
    function attest(uint256 taskId, bytes32 root) external {
        _attest(taskId, root, msg.sender);
    }

    /// @notice Relays an auditor's EIP-712 attestation, so auditors need not hold gas.
    /// @param signature The auditor's signature over `Attestation(taskId, root, commitNumber)`.
    function attestBySignature(uint256 taskId, bytes32 root, bytes calldata signature) external {
        Task storage task = _existingTask(taskId);
        bytes32 digest =
            _hashTypedDataV4(keccak256(abi.encode(ATTESTATION_TYPEHASH, taskId, root, task.commitNumber)));
        (address auditor, ECDSA.RecoverError recoverError,) = ECDSA.tryRecover(digest, signature);
        if (recoverError != ECDSA.RecoverError.NoError) revert EscrowInvalidSignature();
        _attest(taskId, root, auditor);
    }

    /// @notice Freezes a committed task within its challenge window. Auditors or the owner only.
    /// @param reasonHash Hash of the published reason (e.g. the auditor's recomputed report).
    function dispute(uint256 taskId, bytes32 reasonHash) external {
        Task storage task = _existingTask(taskId);
        if (msg.sender != task.owner && !_auditors[taskId][msg.sender].seated) {
            revert EscrowNotOwnerOrAuditor(taskId, msg.sender);
        }
        if (task.status != TaskStatus.Committed) revert EscrowWrongStatus(taskId, task.status);
        if (block.timestamp > task.challengeEndsAt) revert EscrowChallengeWindowClosed(taskId, task.challengeEndsAt);
        if (reasonHash == bytes32(0)) revert EscrowZeroHash();
        task.status = TaskStatus.Disputed;
        emit TaskDisputed(taskId, msg.sender, reasonHash);
    }

    /// @notice Resolves a dispute with a corrected payout table, final at once.
    function resolveByCommit(uint256 taskId, bytes32 root, uint96 total, bytes32 reportHash)
        external
        onlyRole(ARBITER_ROLE)
    {
        Task storage task = _existingTask(taskId);
        if (task.status != TaskStatus.Disputed) revert EscrowWrongStatus(taskId, task.status);
        _commit(taskId, task, root, total, reportHash, TaskStatus.Finalized, uint40(block.timestamp));
        emit DisputeResolved(taskId, false);
        emit PayoutsFinalized(taskId, root);
    }

    /// @notice Resolves a dispute by refunding the whole deposit to the owner.
    /// @dev Nothing can have been claimed: claims need finalisation, which a dispute prevents.
    function resolveByRefund(uint256 taskId) external onlyRole(ARBITER_ROLE) nonReentrant {
        Task storage task = _existingTask(taskId);
        if (task.status != TaskStatus.Disputed) revert EscrowWrongStatus(taskId, task.status);
        task.status = TaskStatus.Refunded;
        uint256 amount = task.deposit;
        emit DisputeResolved(taskId, true);
        emit TaskRefunded(taskId, task.owner, amount);
        token.safeTransfer(task.owner, amount);
    }

    // ----------------------------------------------------------------- claims

    /// @notice Pays `amount` to `account` for leaf `index` of the task's payout tree. Anyone may
    /// submit it; the money always goes to `account`.
    /// @param proof The leaf's Merkle proof in the standard tree.
    function claim(uint256 taskId, uint256 index, address account, uint256 amount, bytes32[] calldata proof)
        external
        nonReentrant
    {
        Task storage task = _tasks[taskId];
        uint256 slot0 = _claimableSlot0(taskId, task);
        _verifyAndFlag(taskId, task.payoutRoot, index, account, amount, proof);
        _storeClaimed(taskId, task, slot0, (slot0 >> _CLAIMED_OFFSET) + amount);
        emit Claimed(taskId, account, amount);
        token.safeTransfer(account, amount);
    }

    /// @notice Pays a batch of leaves of one task; reads the task once and writes it once.
    function claimMany(uint256 taskId, PayoutClaim[] calldata claims) external nonReentrant {
        if (claims.length == 0) revert EscrowEmptyBatch();
        Task storage task = _tasks[taskId];
        uint256 slot0 = _claimableSlot0(taskId, task);
        bytes32 root = task.payoutRoot;
        uint256 claimed = slot0 >> _CLAIMED_OFFSET;
        for (uint256 i = 0; i < claims.length; ++i) {
            PayoutClaim calldata item = claims[i];
            claimed += _verifyAndFlag(taskId, root, item.index, item.account, item.amount, item.proof);
            emit Claimed(taskId, item.account, item.amount);
            token.safeTransfer(item.account, item.amount);
        }
        // Checked after the loop: every transfer reverts with the whole batch if the sum is too high.
        // Slot 0 is read again (warm) because the transfers are external calls made since the first read.
        _storeClaimed(taskId, task, _slot0(task), claimed);
    }

    /// @notice Returns the owner's money that no payout can use: the whole deposit if nothing was
    /// committed by the deadline, or the deposit minus the committed total once payouts are final.
    /// Anyone may call it; the money always goes to the owner.
    function reclaim(uint256 taskId) external nonReentrant {
        Task storage task = _existingTask(taskId);
        TaskStatus status = task.status;
        uint256 amount;
        if (status == TaskStatus.Funded) {
            if (block.timestamp <= task.commitDeadline) revert EscrowWrongStatus(taskId, status);
            task.status = TaskStatus.Refunded;
            amount = task.deposit;
            emit TaskRefunded(taskId, task.owner, amount);
        } else if (_isFinal(task)) {
            if (task.remainderReclaimed) revert EscrowNothingToReclaim(taskId);
            amount = task.deposit - task.committedTotal;
            if (amount == 0) revert EscrowNothingToReclaim(taskId);
            if (status == TaskStatus.Committed) {
                task.status = TaskStatus.Finalized;
                emit PayoutsFinalized(taskId, task.payoutRoot);
            }
            task.remainderReclaimed = true;
            emit RemainderReclaimed(taskId, task.owner, amount);
        } else {
            revert EscrowWrongStatus(taskId, status);
        }
        token.safeTransfer(task.owner, amount);
    }

    // ------------------------------------------------------------------ views

    /// @notice The id the last created task received (0 before any).
    function lastTaskId() external view returns (uint256) {
        return _lastTaskId;
    }

    /// @notice The task `owner` created with `termsHash`, or 0; lets a client retry creation safely.
    function taskIdByTerms(address owner, bytes32 termsHash) external view returns (uint256) {
        return _taskIdByTerms[keccak256(abi.encode(owner, termsHash))];
    }

    /// @notice Everything known about a task, with whether its payouts can be claimed now.
    function getTask(uint256 taskId) external view returns (TaskView memory view_) {
        Task storage task = _tasks[taskId];
        view_ = TaskView({
            status: task.status,
            threshold: task.threshold,
            attestations: task.attestations,
            auditorCount: task.auditorCount,
            challengeEndsAt: task.challengeEndsAt,
            trainingStartsAt: task.trainingStartsAt,
            commitDeadline: task.commitDeadline,
            challengeWindow: task.challengeWindow,
            commitNumber: task.commitNumber,
            remainderReclaimed: task.remainderReclaimed,
            claimable: _isFinal(task),
            owner: task.owner,
            coordinator: task.coordinator,
            deposit: task.deposit,
            committedTotal: task.committedTotal,
            claimed: task.claimed,
            payoutRoot: task.payoutRoot,
            termsHash: task.termsHash,
            agreementHash: task.agreementHash,
            reportHash: task.reportHash
        });
    }

    /// @notice Whether leaf `index` of the task has been claimed.
    function isClaimed(uint256 taskId, uint256 index) external view returns (bool) {
        return _claimedWords[taskId].isSet(index);
    }

    /// @notice Whether `account` sits on the task's auditor set.
    function isAuditor(uint256 taskId, address account) external view returns (bool) {
        return _auditors[taskId][account].seated;
    }

    /// @notice Whether `auditor` attested the task's current commit.
    function hasAttested(uint256 taskId, address auditor) external view returns (bool) {
        AuditorSeat storage seat = _auditors[taskId][auditor];
        return seat.seated && seat.attestedCommit == _tasks[taskId].commitNumber && seat.attestedCommit != 0;
    }

    /// @notice The EIP-712 domain separator attestations are signed under.
    function domainSeparator() external view returns (bytes32) {
        return _domainSeparatorV4();
    }

    // --------------------------------------------------------------- internal

    function _createTask(TaskTerms calldata terms) private returns (uint256 taskId) {
        _validateTerms(terms);
        bytes32 termsKey = keccak256(abi.encode(msg.sender, terms.termsHash));
        uint256 existing = _taskIdByTerms[termsKey];
        if (existing != 0) revert EscrowTaskAlreadyCreated(existing);
        taskId = ++_lastTaskId;
        _taskIdByTerms[termsKey] = taskId;

        Task storage task = _tasks[taskId];
        task.status = TaskStatus.Funded;
        task.threshold = terms.threshold;
        task.owner = msg.sender;
        task.deposit = terms.budget;
        task.coordinator = terms.coordinator;
        task.trainingStartsAt = terms.trainingStartsAt;
        task.commitDeadline = terms.commitDeadline;
        // Fits: _validateTerms caps the set at MAX_AUDITORS.
        task.auditorCount = uint8(terms.auditors.length);
        task.challengeWindow = terms.challengeWindow;
        task.termsHash = terms.termsHash;

        mapping(address => AuditorSeat) storage seats = _auditors[taskId];
        for (uint256 i = 0; i < terms.auditors.length; ++i) {
            address auditor = terms.auditors[i];
            if (auditor == address(0)) revert EscrowInvalidTerms("zero auditor");
            if (seats[auditor].seated) revert EscrowInvalidTerms("duplicate auditor");
            seats[auditor].seated = true;
        }

        emit TaskCreated(
            taskId,
            msg.sender,
            terms.coordinator,
            terms.termsHash,
            terms.budget,
            terms.auditors,
            terms.threshold,
            terms.trainingStartsAt,
            terms.commitDeadline,
            terms.challengeWindow
        );
        token.safeTransferFrom(msg.sender, address(this), terms.budget);
    }

    function _validateTerms(TaskTerms calldata terms) private view {
        if (terms.termsHash == bytes32(0)) revert EscrowZeroHash();
        if (terms.budget == 0) revert EscrowInvalidTerms("zero budget");
        if (terms.coordinator == address(0)) revert EscrowInvalidTerms("zero coordinator");
        uint256 auditorCount = terms.auditors.length;
        if (auditorCount == 0 || auditorCount > MAX_AUDITORS) revert EscrowInvalidTerms("auditor count");
        if (terms.threshold == 0 || terms.threshold > auditorCount) revert EscrowInvalidTerms("threshold");
        if (terms.commitDeadline <= block.timestamp) revert EscrowInvalidTerms("commit deadline passed");
        if (terms.trainingStartsAt > terms.commitDeadline) revert EscrowInvalidTerms("training after deadline");
        if (terms.challengeWindow == 0 || terms.challengeWindow > MAX_CHALLENGE_WINDOW) {
            revert EscrowInvalidTerms("challenge window");
        }
    }

    function _commit(
        uint256 taskId,
        Task storage task,
        bytes32 root,
        uint96 total,
        bytes32 reportHash,
        TaskStatus status,
        uint40 challengeEndsAt
    ) private {
        if (root == bytes32(0) || reportHash == bytes32(0)) revert EscrowZeroHash();
        if (total > task.deposit) revert EscrowTotalExceedsDeposit(total, task.deposit);
        uint32 commitNumber = task.commitNumber + 1;
        task.status = status;
        task.attestations = 0;
        task.challengeEndsAt = challengeEndsAt;
        task.committedTotal = total;
        task.payoutRoot = root;
        task.commitNumber = commitNumber;
        task.reportHash = reportHash;
        emit PayoutsCommitted(taskId, root, total, reportHash, commitNumber, challengeEndsAt);
    }

    function _attest(uint256 taskId, bytes32 root, address auditor) private {
        Task storage task = _existingTask(taskId);
        AuditorSeat storage seat = _auditors[taskId][auditor];
        if (!seat.seated) revert EscrowNotAuditor(taskId, auditor);
        if (task.status != TaskStatus.Committed) revert EscrowWrongStatus(taskId, task.status);
        if (block.timestamp > task.challengeEndsAt) revert EscrowChallengeWindowClosed(taskId, task.challengeEndsAt);
        if (root != task.payoutRoot) revert EscrowRootMismatch(task.payoutRoot, root);
        uint32 commitNumber = task.commitNumber;
        if (seat.attestedCommit == commitNumber) revert EscrowAlreadyAttested(taskId, auditor);
        seat.attestedCommit = commitNumber;
        // Cannot overflow: at most MAX_AUDITORS seats, each attesting once per commit.
        uint8 attestations;
        unchecked {
            attestations = task.attestations + 1;
        }
        task.attestations = attestations;
        emit PayoutsAttested(taskId, auditor, root, attestations);
        if (attestations >= task.threshold) {
            task.status = TaskStatus.Finalized;
            emit PayoutsFinalized(taskId, root);
        }
    }

    function _verifyAndFlag(
        uint256 taskId,
        bytes32 root,
        uint256 index,
        address account,
        uint256 amount,
        bytes32[] calldata proof
    ) private returns (uint256) {
        if (!PayoutProof.verifyCalldata(proof, root, PayoutLeaf.hash(index, account, amount))) {
            revert EscrowInvalidProof(taskId, index);
        }
        if (!_claimedWords[taskId].trySet(index)) revert EscrowAlreadyClaimed(taskId, index);
        return amount;
    }

    /// @dev Reads the task's slot 0 once (a claim needs four of its fields) and reverts unless the
    /// task is claimable; the caller writes the word back once with `_storeClaimed`.
    function _claimableSlot0(uint256 taskId, Task storage task) private view returns (uint256 slot0) {
        slot0 = _slot0(task);
        if (!_isFinal(slot0)) revert EscrowNotClaimable(taskId, task.status);
    }

    /// @dev Records `claimed` as the task's claimed total, unless that exceeds the committed total.
    /// `slot0` must be the slot as it is now: the word is written back whole, so the caller reads it
    /// with no external call in between.
    function _storeClaimed(uint256 taskId, Task storage task, uint256 slot0, uint256 claimed) private {
        if (claimed > uint96(slot0 >> _COMMITTED_TOTAL_OFFSET)) revert EscrowClaimsExceedTotal(taskId);
        // Fits: `claimed` <= committedTotal < 2^96, so shifted into the top 96 bits it replaces exactly
        // the old `claimed` field; the mask keeps the other fields as they were read.
        uint256 updated = (slot0 & _BELOW_CLAIMED_MASK) | (claimed << _CLAIMED_OFFSET);
        // Safe: writes the struct's own first slot, with every field but `claimed` unchanged.
        assembly ("memory-safe") {
            sstore(task.slot, updated)
        }
    }

    /// @dev The task's slot 0 as one word; decode it with the `_..._OFFSET` constants.
    function _slot0(Task storage task) private view returns (uint256 slot0) {
        // Safe: a read of the struct's own first slot.
        assembly ("memory-safe") {
            slot0 := sload(task.slot)
        }
    }

    /// @dev Final means claimable: k attestations or an arbiter's commit, or a commit whose window
    /// passed undisputed. A dispute moves the status away from Committed, so it blocks this.
    function _isFinal(Task storage task) private view returns (bool) {
        return _isFinal(_slot0(task));
    }

    /// @dev `_isFinal` of a task whose slot 0 is `slot0`; the common case, Finalized, is tested first.
    function _isFinal(uint256 slot0) private view returns (bool) {
        uint256 status = uint8(slot0);
        uint256 challengeEndsAt = uint40(slot0 >> _CHALLENGE_ENDS_AT_OFFSET);
        return status == uint256(TaskStatus.Finalized)
            || (status == uint256(TaskStatus.Committed) && block.timestamp > challengeEndsAt);
    }

    function _existingTask(uint256 taskId) private view returns (Task storage task) {
        task = _tasks[taskId];
        if (task.status == TaskStatus.None) revert EscrowUnknownTask(taskId);
    }
}
