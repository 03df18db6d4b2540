//! Static model of a flake: parse .nix files with rnix, find hosts, resolve
//! each host's dependency set. Nothing here evaluates Nix.
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde::Serialize;

pub mod deps;
pub mod eval;
pub mod hosts;
pub mod lock;
pub mod source;
pub mod value;
pub mod walk;

pub use deps::Deps;

#[derive(Debug, thiserror::Error)]
pub enum FlakeError {
    #[error("{0}: no flake.nix here; pass --flake DIR (the directory holding flake.nix)")]
    NoFlake(PathBuf),
    #[error("{path}: cannot read: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// A finding about the flake that made an answer approximate or wider.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct Diagnostic {
    pub level: Level,
    pub kind: String,
    pub file: String,
    pub line: u32,
    pub message: String,
}

#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Error,
    Warning,
    Info,
}

/// The static model of one flake.
#[derive(Default)]
pub struct FlakeModel {
    pub root: PathBuf,
    pub hosts: Vec<Host>,
    pub diagnostics: Vec<Diagnostic>,
    /// Inputs declared in flake.nix.
    pub inputs: Vec<String>,
    /// .nix file -> the .nix files it names (imports, callPackage, …).
    pub edges: BTreeMap<String, BTreeSet<String>>,
    /// The parsed repository (kept for the enable-option layer).
    pub tree: Option<std::sync::Arc<source::SourceTree>>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Host {
    pub name: String,
    /// `nixos` or `darwin`
    pub kind: String,
    pub entry: Location,
    #[serde(flatten)]
    pub deps: Deps,
}

#[derive(Debug, Clone, Serialize)]
pub struct Location {
    pub file: String,
    pub line: u32,
}

impl FlakeModel {
    pub fn host(&self, name: &str) -> Option<&Host> {
        self.hosts.iter().find(|h| h.name == name)
    }

    /// True when any diagnostic is an error (a reachable file that cannot be read as Nix).
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(|d| d.level == Level::Error)
    }
}

const ANALYSIS_STACK: usize = 512 << 20;

/// Read the flake at `root` and every local .nix file its hosts reach.
pub fn load(root: &Path) -> Result<FlakeModel, FlakeError> {
    load_with(root, true)
}

/// `load`, optionally without the walk shortcuts (`deps::build`): for tests
/// that check the shortcuts lose no dependency.
pub fn load_with(root: &Path, shortcuts: bool) -> Result<FlakeModel, FlakeError> {
    if !root.join("flake.nix").is_file() {
        return Err(FlakeError::NoFlake(root.to_path_buf()));
    }
    std::fs::read_dir(root).map_err(|source| FlakeError::Io {
        path: root.to_path_buf(),
        source,
    })?;
    // rnix, the evaluator and the walker recurse over syntax trees; the
    // analysis runs on threads with large (virtual, lazily committed) stacks.
    let work = || {
        crate::timing::phase("start analysis threads");
        let tree = source::SourceTree::load(root);
        crate::timing::phase("list, read and parse files");
        deps::build(tree, shortcuts)
    };
    match rayon::ThreadPoolBuilder::new()
        .stack_size(ANALYSIS_STACK)
        .build()
    {
        Ok(pool) => Ok(pool.install(work)),
        Err(_) => Ok(work()),
    }
}
