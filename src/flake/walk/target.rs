//! What a walk records: a reference from a file and line to a target typed
//! per kind (a file, a directory, a listing, a glob, an input, the whole
//! source). The dependency graph (`deps`) consumes these; diagnostics
//! (`diagnostic`) describe the ones that widen an answer.
use crate::flake::path::RepoPath;

/// One thing a file makes its hosts depend on: what (`target`), and the
/// file and line that name it. Ordered by target kind, then target, then
/// site (the order `via` chains prefer).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Ref {
    /// What the host depends on.
    pub target: Target,
    /// The repository file that names it.
    pub from: String,
    /// The 1-based line in `from`.
    pub line: u32,
}

/// What a reference names, typed per kind. Paths are repository paths;
/// the variant decides whether a path is a file, a directory taken whole or
/// a listing.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Target {
    /// A file (it may not exist); a .nix file is followed.
    File(RepoPath),
    /// A .nix file that implements a `nixosSystem` (a stand-in or wrapper):
    /// followed like `File`, but it configures nothing.
    Machinery(RepoPath),
    /// A .nix file whose relevant code was walked with its arguments bound:
    /// a dependency, but not followed again unbound.
    FileWalked(RepoPath),
    /// A file named by a path value (not in an import position): followed
    /// like `File`, since it may be imported where the analysis cannot see,
    /// and any byte of it may matter (it may be copied or read as data).
    Value(RepoPath),
    /// A file read as data by a known reading function (`readFile`,
    /// `importJSON`…): a dependency, never read as Nix code.
    Read(RepoPath),
    /// Every file below a directory (a source copied whole).
    Dir(RepoPath),
    /// Every file below a directory, and every .nix file there may be imported.
    Tree(RepoPath),
    /// The listing of a directory (readDir): adding or removing an entry matters.
    Listing(RepoPath),
    /// A pattern (`*` spans `/`): interpolation the analysis could not resolve.
    Glob(String),
    /// A path outside the repository, as written.
    Outside(String),
    /// An input flake by name (`*` for any input).
    Input(String),
    /// Every tracked file (bare `self`, `self.rev`, …), with the reason.
    WholeSource(String),
    /// Cannot be resolved statically (getEnv, absolute paths, …), with what
    /// it is: the whole source.
    Unresolved(String),
    /// Every module of the flake-parts module system, with the reason (a
    /// host reads `config`, perSystem or a module argument that any module
    /// may define). The module files themselves are separate `File`
    /// references; this one only explains them.
    Modules(String),
    /// The commit itself (`self.rev`, `self.shortRev`, `self.lastModified`,
    /// `self ? rev`…), with the reason: every tracked file, and every new
    /// commit even one that changes no file.
    Revision(String),
}

impl Target {
    /// The file a file reference names (`File`, `Machinery`, `FileWalked`).
    pub fn file(&self) -> Option<&RepoPath> {
        match self {
            Target::File(p)
            | Target::Machinery(p)
            | Target::FileWalked(p)
            | Target::Value(p)
            | Target::Read(p) => Some(p),
            _ => None,
        }
    }

    /// The directory a `Dir`, `Tree` or `Listing` reference names.
    pub fn directory(&self) -> Option<&RepoPath> {
        match self {
            Target::Dir(p) | Target::Tree(p) | Target::Listing(p) => Some(p),
            _ => None,
        }
    }

    /// The payload as text: a path, a pattern, an input name or a reason.
    pub fn text(&self) -> &str {
        match self {
            Target::File(p)
            | Target::Machinery(p)
            | Target::FileWalked(p)
            | Target::Value(p)
            | Target::Read(p)
            | Target::Dir(p)
            | Target::Tree(p)
            | Target::Listing(p) => p.as_str(),
            Target::Glob(t)
            | Target::Outside(t)
            | Target::Input(t)
            | Target::WholeSource(t)
            | Target::Unresolved(t)
            | Target::Modules(t)
            | Target::Revision(t) => t,
        }
    }
}
