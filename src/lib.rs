//! openspec: OpenSpec change proposals for NixOS flakes with many hosts.
//!
//! Layers (data flows down; nothing below imports what is above):
//! `cli` -> `workflow` -> `impact` / `verify` -> `flake` / `spec` / `nix` / `git` -> `fsutil`.
pub mod cli;
pub mod flake;
pub mod fsutil;
pub mod git;
pub mod impact;
pub mod nix;
pub mod report;
pub mod spec;
pub mod timing;
pub mod verify;
pub mod workflow;
