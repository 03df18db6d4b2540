//! openspec: OpenSpec change proposals for NixOS flakes with many hosts.
//!
//! # Map of the code
//!
//! Data flows down; nothing below imports what is above:
//! `cli` → `workflow` → `impact` / `verify` → `flake` / `spec` / `nix` / `git`
//! → `fsutil`. `report` renders what `impact`, `verify` and `flake` produce.
//!
//! | folder | its one job |
//! |---|---|
//! | `main.rs` | parse arguments, run one command, exit |
//! | `cli/` | one file per command: read flags, call the domain, print; `cli/mod.rs` holds the global flags, the dispatch and what commands share (opening the repository, loading the flake model); `cli/error.rs` is the one mapping of every layer's error to a message and an exit code (0/1/2) |
//! | `workflow/` | the change: `Change` (its files, id checks, `tracking.json`, recorded base revision), host selection for a change (`select`), validation of many items (`check`) |
//! | `impact/` | changed files → affected hosts and modules with reasons (`Request` resolves `--files`/`--base`/`--head`/a change's base into changed files), categories from the syntax of the changed files at both sides with their findings (`category`), the enable-option layer (`precise`), declared versus computed for `validate` (`undeclared`) |
//! | `verify/` | real Nix: evaluate and build hosts in parallel, the job monitor, reports, the check of the static prediction against drvPaths (`predict`, `explain`) |
//! | `flake/` | the static model of a flake, one phase per file: `source` (a tree: the working directory or a git revision, parsed with rnix), `path` (repository paths), `known` (the Nix/NixOS names the analysis understands), `eval` (partial evaluation), `walk` (references), `graph` (the shared graph), `deps` (each host's reach), `hosts` (entries), `diagnostic` (typed findings with codes), `intern` (names and bitsets), `lock` (flake.lock) |
//! | `spec/` | the OpenSpec format: parse, validate, merge (archive), templates, the repository layout |
//! | `nix/` | the Nix CLI as typed calls: versions, settings, derivations, store paths, child processes |
//! | `git.rs` | revisions, merge-base, changed files, a revision's tree and blobs |
//! | `report/` | renderers: text, JSON, markdown, github-matrix, dot, mermaid |
//! | `fsutil.rs` | the one way a file that matters is written (temp file, fsync, rename) |
//!
//! Where to add:
//! - **a command**: a file in `cli/` with an `Args` (clap) and a `run`, a
//!   variant in `cli::Command`; the work itself goes in the domain layer it
//!   belongs to, and its errors get a `From` in `cli/error.rs`.
//! - **a known function** (a Nix builtin or library function the analysis
//!   should understand): a variant of `flake::known::KnownFunction` with its
//!   names, arity, value meaning and reference meaning, all in `known.rs`.
//! - **a diagnostic**: a variant of `flake::DiagnosticKind` with a new code,
//!   its default severity and its message constructor.
//! - **a renderer**: a function in `report/` taking the domain's report, and
//!   a value of the command's format enum (a `clap::ValueEnum`).
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
