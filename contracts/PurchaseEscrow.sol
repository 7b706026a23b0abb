// SPDX-License-Identifier: UNLICENSED
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";

/// @title Escrow of dataset purchases paid in one ERC-20 token
/// @notice The buyer deposits the price under a purchase id, fixing at that moment who is paid and how
///         much: each key keeper gets its share in basis points of the price, the clinic the rest.
///         The deposit settles exactly once, in one of three ways:
///         - the buyer acknowledges delivery: the clinic and the keepers are paid;
///         - the clinic declared the keys released (before the deadline) and the dispute window has
///           passed since: anyone may trigger the same payment;
///         - no keys were released and the deadline has passed: the buyer reclaims the whole deposit.
/// @dev The token is assumed to transfer exact amounts (no fee on transfer), as PhdToken does.
contract PurchaseEscrow is ReentrancyGuard {
    using SafeERC20 for IERC20;

    /// @notice Where a purchase stands. `None` is an id never deposited under.
    enum State {
        None,
        Deposited,
        KeysReleased,
        Paid,
        Reclaimed
    }

    /// @notice A deposit and the split fixed with it.
    struct Purchase {
        address buyer;
        address clinic;
        uint256 amount;
        uint64 deadline;
        uint64 keysReleasedAt;
        State state;
        address[] keepers;
        uint16[] keeperBps;
    }

    /// @notice The whole of a price, in basis points.
    uint16 public constant TOTAL_BPS = 10_000;

    /// @notice The token every price is paid in.
    IERC20 public immutable token;

    /// @notice Seconds after the keys were released during which only the buyer can settle (by acknowledging).
    uint64 public immutable disputeWindow;

    mapping(bytes32 purchaseId => Purchase) private _purchases;

    /// @notice The buyer locked `amount` under `purchaseId`, payable to `clinic` and `keepers` by `keeperBps`.
    event Deposited(
        bytes32 indexed purchaseId,
        address indexed buyer,
        address indexed clinic,
        uint256 amount,
        uint64 deadline,
        address[] keepers,
        uint16[] keeperBps
    );
    /// @notice The clinic declared the dataset's keys released to the buyer at `at`; the dispute window starts.
    event KeysReleased(bytes32 indexed purchaseId, uint64 at);
    /// @notice One payee's part of a settled purchase.
    event Payment(bytes32 indexed purchaseId, address indexed payee, uint256 amount);
    /// @notice The purchase was paid out; `byAcknowledgement` is false when it was settled after the dispute window.
    event Settled(bytes32 indexed purchaseId, bool byAcknowledgement);
    /// @notice The buyer took the deposit back: nothing was delivered by the deadline.
    event Reclaimed(bytes32 indexed purchaseId, address indexed buyer, uint256 amount);

    /// @notice A deposit was already made under this id (whatever became of it).
    error PurchaseIdUsed(bytes32 purchaseId);
    /// @notice No deposit was made under this id.
    error UnknownPurchase(bytes32 purchaseId);
    /// @notice The price is zero.
    error ZeroAmount();
    /// @notice The clinic or a keeper is the zero address.
    error ZeroAddress();
    /// @notice The keepers and their shares differ in number, or the shares exceed the whole price.
    error InvalidSplit();
    /// @notice The deadline is not in the future.
    error DeadlineNotInFuture(uint64 deadline);
    /// @notice Only the purchase's buyer may do this.
    error NotBuyer(bytes32 purchaseId, address caller);
    /// @notice Only the purchase's clinic may do this.
    error NotClinic(bytes32 purchaseId, address caller);
    /// @notice The purchase was already paid out or reclaimed.
    error AlreadySettled(bytes32 purchaseId);
    /// @notice The keys were already declared released.
    error KeysAlreadyReleased(bytes32 purchaseId);
    /// @notice The keys were never declared released.
    error KeysNotReleased(bytes32 purchaseId);
    /// @notice The deadline has passed: keys can no longer be declared released.
    error DeadlinePassed(bytes32 purchaseId, uint64 deadline);
    /// @notice The deadline has not passed yet: the buyer cannot reclaim.
    error DeadlineNotReached(bytes32 purchaseId, uint64 deadline);
    /// @notice The dispute window is still open until `endsAt`.
    error DisputeWindowOpen(bytes32 purchaseId, uint64 endsAt);

    /// @param token_ The settlement token (PHD).
    /// @param disputeWindow_ Seconds between the keys' release and settlement without the buyer.
    constructor(IERC20 token_, uint64 disputeWindow_) {
        token = token_;
        disputeWindow = disputeWindow_;
    }

    /// @notice Locks `amount` tokens of the caller (the buyer) under `purchaseId`. The caller must have
    ///         approved this contract for `amount` first.
    /// @param purchaseId The purchase's id; never reusable, even after settlement.
    /// @param amount The price, in the token's smallest unit.
    /// @param clinic Who sells the dataset and declares the keys released; gets what the keepers do not.
    /// @param keepers The key keepers to pay.
    /// @param keeperBps Each keeper's share of the price in basis points (same order as `keepers`).
    /// @param deadline Unix time by which the keys must be released, after which the buyer may reclaim.
    function deposit(
        bytes32 purchaseId,
        uint256 amount,
        address clinic,
        address[] calldata keepers,
        uint16[] calldata keeperBps,
        uint64 deadline
    ) external nonReentrant {
        if (_purchases[purchaseId].state != State.None) revert PurchaseIdUsed(purchaseId);
        if (amount == 0) revert ZeroAmount();
        if (clinic == address(0)) revert ZeroAddress();
        if (keepers.length != keeperBps.length) revert InvalidSplit();
        uint256 totalBps;
        for (uint256 i = 0; i < keepers.length; i++) {
            if (keepers[i] == address(0)) revert ZeroAddress();
            totalBps += keeperBps[i];
        }
        if (totalBps > TOTAL_BPS) revert InvalidSplit();
        if (deadline <= block.timestamp) revert DeadlineNotInFuture(deadline);

        Purchase storage p = _purchases[purchaseId];
        p.buyer = msg.sender;
        p.clinic = clinic;
        p.amount = amount;
        p.deadline = deadline;
        p.state = State.Deposited;
        p.keepers = keepers;
        p.keeperBps = keeperBps;

        emit Deposited(purchaseId, msg.sender, clinic, amount, deadline, keepers, keeperBps);
        token.safeTransferFrom(msg.sender, address(this), amount);
    }

    /// @notice The clinic declares that the dataset's keys were released to the buyer; the time is
    ///         recorded and the dispute window starts. Only before the deadline.
    function keysReleased(bytes32 purchaseId) external {
        Purchase storage p = _existing(purchaseId);
        if (msg.sender != p.clinic) revert NotClinic(purchaseId, msg.sender);
        if (p.state == State.KeysReleased) revert KeysAlreadyReleased(purchaseId);
        if (p.state != State.Deposited) revert AlreadySettled(purchaseId);
        if (block.timestamp > p.deadline) revert DeadlinePassed(purchaseId, p.deadline);
        p.keysReleasedAt = uint64(block.timestamp);
        p.state = State.KeysReleased;
        emit KeysReleased(purchaseId, p.keysReleasedAt);
    }

    /// @notice The buyer acknowledges delivery: the clinic and the keepers are paid now.
    function acknowledge(bytes32 purchaseId) external nonReentrant {
        Purchase storage p = _existing(purchaseId);
        if (msg.sender != p.buyer) revert NotBuyer(purchaseId, msg.sender);
        if (p.state != State.Deposited && p.state != State.KeysReleased) revert AlreadySettled(purchaseId);
        _pay(purchaseId, p, true);
    }

    /// @notice Pays the clinic and the keepers once the dispute window after the keys' release has
    ///         passed without the buyer acknowledging. Anyone may call it.
    function settleAfterWindow(bytes32 purchaseId) external nonReentrant {
        Purchase storage p = _existing(purchaseId);
        if (p.state == State.Deposited) revert KeysNotReleased(purchaseId);
        if (p.state != State.KeysReleased) revert AlreadySettled(purchaseId);
        uint64 endsAt = p.keysReleasedAt + disputeWindow;
        if (block.timestamp < endsAt) revert DisputeWindowOpen(purchaseId, endsAt);
        _pay(purchaseId, p, false);
    }

    /// @notice The buyer takes the whole deposit back: no keys were released and the deadline has passed.
    function reclaim(bytes32 purchaseId) external nonReentrant {
        Purchase storage p = _existing(purchaseId);
        if (msg.sender != p.buyer) revert NotBuyer(purchaseId, msg.sender);
        if (p.state == State.KeysReleased) revert KeysAlreadyReleased(purchaseId);
        if (p.state != State.Deposited) revert AlreadySettled(purchaseId);
        if (block.timestamp <= p.deadline) revert DeadlineNotReached(purchaseId, p.deadline);
        p.state = State.Reclaimed;
        emit Reclaimed(purchaseId, p.buyer, p.amount);
        token.safeTransfer(p.buyer, p.amount);
    }

    /// @notice The purchase recorded under `purchaseId` (state None, zero fields, if there is none).
    function getPurchase(bytes32 purchaseId) external view returns (Purchase memory) {
        return _purchases[purchaseId];
    }

    function _existing(bytes32 purchaseId) private view returns (Purchase storage p) {
        p = _purchases[purchaseId];
        if (p.state == State.None) revert UnknownPurchase(purchaseId);
    }

    /// @dev Each keeper gets amount * bps / 10000 (rounded down); the clinic gets the remainder, so
    ///      the whole deposit always leaves the contract. State changes before any transfer.
    function _pay(bytes32 purchaseId, Purchase storage p, bool byAcknowledgement) private {
        p.state = State.Paid;
        emit Settled(purchaseId, byAcknowledgement);
        uint256 remaining = p.amount;
        for (uint256 i = 0; i < p.keepers.length; i++) {
            uint256 share = (p.amount * p.keeperBps[i]) / TOTAL_BPS;
            remaining -= share;
            emit Payment(purchaseId, p.keepers[i], share);
            if (share > 0) token.safeTransfer(p.keepers[i], share);
        }
        emit Payment(purchaseId, p.clinic, remaining);
        if (remaining > 0) token.safeTransfer(p.clinic, remaining);
    }
}
