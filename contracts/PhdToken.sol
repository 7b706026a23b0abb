// SPDX-License-Identifier: UNLICENSED
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";

/// @title PHD, the health-data network's settlement token
/// @notice A plain ERC-20 (18 decimals) whose owner, the network operator, mints it. Researchers pay
///         purchases in PHD through PurchaseEscrow; clinics and key keepers are paid in PHD.
contract PhdToken is ERC20, Ownable {
    /// @param initialOwner The account allowed to mint (the network operator, or the dev chain's first account).
    constructor(address initialOwner) ERC20("PHD Health Data Token", "PHD") Ownable(initialOwner) {}

    /// @notice Creates `amount` tokens (in the smallest unit) for `to`. Only the owner may mint.
    function mint(address to, uint256 amount) external onlyOwner {
        _mint(to, amount);
    }
}
