//! Static model of a flake: parse .nix files with rnix, find hosts, resolve
//! each host's dependency set. Nothing here evaluates Nix.
#![warn(missing_docs)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde::Serialize;

pub mod deps;
pub mod diagnostic;
pub mod eval;
pub mod frameworks;
pub mod graph;
pub mod hosts;
pub mod intern;
pub mod known;
pub mod lock;
pub mod parts;
pub mod path;
pub mod slice;
pub mod source;
pub mod value;
pub mod walk;

pub use deps::Deps;
pub use diagnostic::{Diagnostic, DiagnosticKind, Level};
pub use path::RepoPath;

/// Why a flake cannot be read at all.
#[derive(Debug, thiserror::Error)]
pub enum FlakeError {
    /// The directory holds no flake.nix.
    #[error("{0}: no flake.nix here; pass --flake DIR (the directory holding flake.nix)")]
    NoFlake(PathBuf),
    /// The directory cannot be listed.
    #[error("{path}: cannot read: {source}")]
    Io {
        /// The directory.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The revision has no flake.nix in the flake's directory.
    #[error("{dir}: no flake.nix at revision {rev}; pass a revision that has the flake")]
    NoFlakeAt {
        /// The flake's directory.
        dir: PathBuf,
        /// The revision as given.
        rev: String,
    },
    /// Git could not list or read the revision.
    #[error(transparent)]
    Git(#[from] crate::git::GitError),
}

/// The static model of one flake.
#[derive(Default)]
pub struct FlakeModel {
    /// The flake's directory.
    pub root: PathBuf,
    /// Every host found, sorted by name.
    pub hosts: Vec<Host>,
    /// Findings, sorted and without repeats.
    pub diagnostics: Vec<Diagnostic>,
    /// Inputs declared in flake.nix.
    pub inputs: Vec<String>,
    /// .nix file -> the .nix files it names (imports, callPackage, …).
    pub edges: BTreeMap<String, BTreeSet<String>>,
    /// The parsed repository (kept for the enable-option layer).
    pub tree: Option<std::sync::Arc<source::SourceTree>>,
}

/// One host: an attribute of `nixosConfigurations` or `darwinConfigurations`.
/// Serialised in the `hosts --json` shape.
#[derive(Debug, Clone, Serialize)]
pub struct Host {
    /// The attribute name.
    pub name: String,
    /// `nixos` or `darwin`
    pub kind: String,
    /// Where its definition starts.
    pub entry: Location,
    /// How it was found: `literal` (an attribute of the outputs), `helper`
    /// (a name made by a function: genAttrs, mapAttrs, readDir…),
    /// `flake-parts` (a module's `flake` definition), `import-tree`, a
    /// framework's name, or `nix` (named by `--eval` only: it depends on
    /// the whole source).
    pub rule: String,
    /// What it depends on.
    #[serde(flatten)]
    pub deps: Deps,
}

/// A place in the repository.
#[derive(Debug, Clone, Serialize)]
pub struct Location {
    /// A repository path.
    pub file: String,
    /// 1-based.
    pub line: u32,
}

impl FlakeModel {
    /// The host named `name`.
    pub fn host(&self, name: &str) -> Option<&Host> {
        self.hosts.iter().find(|h| h.name == name)
    }

    /// Why some hosts cannot be named (outputs the analysis cannot read, a
    /// framework without a rule), if so: every answer may then miss hosts.
    pub fn unnamed_hosts(&self) -> Option<&Diagnostic> {
        self.diagnostics.iter().find(|d| {
            d.level == Level::Error
                && matches!(
                    d.kind,
                    DiagnosticKind::Unresolved | DiagnosticKind::UnknownFramework
                )
        })
    }

    /// Add the hosts Nix names (`(name, kind)`, from `builtins.attrNames` of
    /// `nixosConfigurations` and `darwinConfigurations`) that the static
    /// reading could not place: each depends on the whole source (rule
    /// `nix`). The findings that said hosts may be missing become
    /// information, since Nix has now named every host; a statically found
    /// host Nix does not name is kept (the answer stays a superset) with a
    /// warning. Returns the names added.
    pub fn name_hosts_with_nix(&mut self, named: &[(String, String)]) -> Vec<String> {
        let mut added = vec![];
        for (name, kind) in named {
            if self
                .hosts
                .iter()
                .any(|h| &h.name == name && &h.kind == kind)
            {
                continue;
            }
            added.push(name.clone());
            self.hosts.push(Host {
                name: name.clone(),
                kind: kind.clone(),
                entry: Location {
                    file: "flake.nix".into(),
                    line: 1,
                },
                rule: "nix".into(),
                deps: Deps::whole_source(
                    "Nix names this host but the static reading cannot place its definition",
                ),
            });
        }
        for h in &self.hosts {
            if h.rule != "nix" && !named.iter().any(|(n, k)| n == &h.name && k == &h.kind) {
                self.diagnostics.push(
                    Diagnostic::new(
                        DiagnosticKind::Unresolved,
                        h.entry.file.clone(),
                        h.entry.line,
                        format!(
                            "`{}` is not a {} host according to Nix; it is kept in every answer",
                            h.name, h.kind
                        ),
                    )
                    .at(Level::Warning),
                );
            }
        }
        for d in &mut self.diagnostics {
            if hosts::is_naming_finding(d) {
                d.level = Level::Info;
                d.message.push_str(" (Nix named every host: see `--eval`)");
            }
        }
        self.hosts
            .sort_by(|a, b| a.name.cmp(&b.name).then(a.kind.cmp(&b.kind)));
        self.diagnostics.sort();
        self.diagnostics.dedup();
        added
    }

    /// True when any diagnostic is an error (a reachable file that cannot be read as Nix).
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(|d| d.level == Level::Error)
    }
}

const ANALYSIS_STACK: usize = 512 << 20;

static POOL: std::sync::OnceLock<Option<rayon::ThreadPool>> = std::sync::OnceLock::new();

fn analysis_pool() -> &'static Option<rayon::ThreadPool> {
    POOL.get_or_init(|| {
        rayon::ThreadPoolBuilder::new()
            .stack_size(ANALYSIS_STACK)
            .build()
            .ok()
    })
}

/// Run `work` on the analysis pool: rnix, the evaluator and the walker
/// recurse over syntax trees, so the analysis runs on threads with large
/// (virtual, lazily committed) stacks. The pool is made once per process.
pub fn on_analysis_pool<R: Send>(work: impl FnOnce() -> R + Send) -> R {
    match analysis_pool() {
        Some(pool) => pool.install(work),
        None => work(),
    }
}

/// Read the flake at `root` and every local .nix file its hosts reach.
///
/// Errors: [`FlakeError::NoFlake`] when `root` holds no flake.nix,
/// [`FlakeError::Io`] when it cannot be listed.
pub fn load(root: &Path) -> Result<FlakeModel, FlakeError> {
    load_with(root, true)
}

/// `load` for a question about hosts (impact): only the files some host
/// reaches are read and parsed, and only the top-level directories something
/// asks about are listed, so parse errors of files no host reaches are not
/// reported. Same hosts and dependency sets as `load`.
///
/// Errors: as `load`.
pub fn load_lazy(root: &Path) -> Result<FlakeModel, FlakeError> {
    load_impl(root, true, true)
}

/// `load`, optionally without the walk shortcuts (`graph::build`): for tests
/// that check the shortcuts lose no dependency.
pub fn load_with(root: &Path, shortcuts: bool) -> Result<FlakeModel, FlakeError> {
    load_impl(root, shortcuts, false)
}

fn load_impl(root: &Path, shortcuts: bool, lazy: bool) -> Result<FlakeModel, FlakeError> {
    if !root.join("flake.nix").is_file() {
        return Err(FlakeError::NoFlake(root.to_path_buf()));
    }
    std::fs::read_dir(root).map_err(|source| FlakeError::Io {
        path: root.to_path_buf(),
        source,
    })?;
    Ok(on_analysis_pool(|| {
        crate::timing::phase("start analysis threads");
        let tree = if lazy {
            source::SourceTree::load_lazy(root)
        } else {
            source::SourceTree::load(root)
        };
        crate::timing::phase("list, read and parse files");
        graph::build(tree, shortcuts)
    }))
}

/// The flake at `dir` as it was at the git revision `rev`, read from git
/// objects (nothing is checked out; the working tree and index are not
/// touched). With `reuse`, the parses of `.nix` files whose paths are not in
/// the given set of changed paths are shared with that model's tree.
///
/// Errors: [`FlakeError::Git`] for an unknown revision or an unreadable
/// repository, [`FlakeError::NoFlakeAt`] when the revision has no flake.nix
/// in `dir`.
pub fn load_revision(
    dir: &Path,
    rev: &str,
    reuse: Option<(&FlakeModel, &BTreeSet<String>)>,
) -> Result<FlakeModel, FlakeError> {
    on_analysis_pool(|| {
        crate::timing::phase("start analysis threads");
        let reuse = reuse.and_then(|(m, changed)| {
            m.tree
                .as_deref()
                .map(|tree| source::Reuse { tree, changed })
        });
        let tree = source::SourceTree::from_revision(dir, rev, reuse)?;
        if !tree.is_file("flake.nix") {
            return Err(FlakeError::NoFlakeAt {
                dir: dir.to_path_buf(),
                rev: rev.to_string(),
            });
        }
        crate::timing::phase("list, read and parse files of a revision");
        Ok(graph::build(tree, true))
    })
}
