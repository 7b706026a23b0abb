// SPDX-License-Identifier: UNLICENSED
pragma solidity ^0.8.24;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";

/// @title The notary log's checkpoints, anchored on chain
/// @notice The network operator (the owner: the network key's account) periodically records the
///         notary log's size and Merkle root here. Anyone auditing the log (`npm run log:verify`)
///         reads the latest anchor and checks that the log it is served has that root at that size:
///         a log rewritten after it was anchored no longer matches, whatever the server signs now.
/// @dev Anchors only grow: a smaller or equal size is refused, so an anchor cannot be replaced by an
///      older view of the log. The root is the RFC 6962 / C2SP tlog root of the first `size` leaves.
contract CheckpointAnchor is Ownable {
    /// @notice One anchored checkpoint.
    struct Anchor {
        uint64 size;
        bytes32 rootHash;
        uint64 anchoredAt;
    }

    Anchor private _latest;

    /// @notice The log of `size` leaves had `rootHash` when the owner anchored it at `anchoredAt`.
    event Anchored(uint64 indexed size, bytes32 rootHash, uint64 anchoredAt);

    /// @notice The size is not larger than the latest anchor's.
    error SizeNotIncreasing(uint64 latest, uint64 given);

    /// @param initialOwner The account allowed to anchor (the network key's address).
    constructor(address initialOwner) Ownable(initialOwner) {}

    /// @notice Records the log's root at `size` leaves. Only the owner; sizes must increase.
    function anchor(uint64 size, bytes32 rootHash) external onlyOwner {
        if (size <= _latest.size) revert SizeNotIncreasing(_latest.size, size);
        _latest = Anchor(size, rootHash, uint64(block.timestamp));
        emit Anchored(size, rootHash, uint64(block.timestamp));
    }

    /// @notice The latest anchor; size 0 when nothing was anchored yet.
    function latest() external view returns (Anchor memory) {
        return _latest;
    }
}
