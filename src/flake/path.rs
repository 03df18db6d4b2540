//! Repository paths: the one way the analysis names a file or directory.
//!
//! A repository path is relative to the flake's root, normalised (no `.` or
//! `..` segments, no trailing `/`) and `/`-separated on every platform; the
//! empty path is the root itself. Everything the analysis reports (`files`,
//! `directories`, `via` chains, diagnostics) is in this form, so two names of
//! one file always compare equal.
//!
//! Rules implemented here:
//! - joining folds `.` and `..` as Nix folds them in a path literal; a path
//!   that climbs above the root is not a repository path (Nix refuses it in
//!   pure evaluation), and joining reports it as such;
//! - a directory in a module position (`imports = [ ./dir ]`, `import ./dir`)
//!   means its `default.nix`, as in Nix;
//! - a glob is a path with `*` holes where an interpolation could not be
//!   resolved; `*` spans `/`, because an interpolated value may hold one.
use std::fmt;
use std::ops::Deref;
use std::path::Path;

/// A normalised, `/`-separated path relative to the flake root (`""` = the
/// root). Construct it with [`RepoPath::join`], [`RepoPath::from_relative`]
/// or [`RepoPath::from_os`]; [`RepoPath::new_unchecked`] is for text that is
/// already normalised (a listing of the tree, a path read back from a report).
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RepoPath(String);

/// A path that climbs above the flake root; holds the normalised text as
/// written (e.g. `../outside.nix`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outside(pub String);

impl RepoPath {
    /// The root of the repository (the empty path).
    pub fn root() -> RepoPath {
        RepoPath(String::new())
    }

    /// Wrap text that is already a repository path (normalised, relative,
    /// `/`-separated). No check is made.
    pub fn new_unchecked(text: impl Into<String>) -> RepoPath {
        RepoPath(text.into())
    }

    /// A relative text (`./a/../b`, `hosts/yoga`) read from the root.
    ///
    /// Errors: [`Outside`] when it climbs above the root.
    pub fn from_relative(text: &str) -> Result<RepoPath, Outside> {
        RepoPath::root().join(text)
    }

    /// The one place an OS path becomes a repository path: `path` made
    /// relative to `root` (both as given, no symlinks resolved), components
    /// joined with `/`. `None` when `path` is not below `root`.
    pub fn from_os(root: &Path, path: &Path) -> Option<RepoPath> {
        path.strip_prefix(root)
            .ok()
            .map(|rel| RepoPath(os_relative_text(rel)))
    }

    /// The path as text (`""` for the root).
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The text, consumed.
    pub fn into_string(self) -> String {
        self.0
    }

    /// `rel` (a path literal's text, or a string appended to a path) read
    /// relative to this directory, `.` and `..` folded.
    ///
    /// Errors: [`Outside`] with `rel` when the result climbs above the root.
    pub fn join(&self, rel: &str) -> Result<RepoPath, Outside> {
        join(&self.0, rel).map(RepoPath).map_err(Outside)
    }

    /// The directory holding this path (`""` for a file at the root).
    pub fn parent(&self) -> RepoPath {
        RepoPath(parent(&self.0).to_string())
    }

    /// What a directory means in a module position: its `default.nix`.
    pub fn module_file(&self) -> RepoPath {
        RepoPath(module_file(&self.0))
    }

    /// A glob for this directory joined with a text holding `*` holes
    /// (see [`glob_join`]).
    pub fn glob_join(&self, rel: &str) -> String {
        glob_join(&self.0, rel)
    }

    /// This path as a directory prefix: `""` for the root, else `dir/`.
    pub fn dir_prefix(&self) -> String {
        dir_prefix(&self.0)
    }
}

impl Deref for RepoPath {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for RepoPath {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl std::borrow::Borrow<str> for RepoPath {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RepoPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<RepoPath> for String {
    fn from(p: RepoPath) -> String {
        p.0
    }
}

impl serde::Serialize for RepoPath {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

/// The components of a relative OS path joined with `/` (lossy for names
/// that are not UTF-8).
pub fn os_relative_text(rel: &Path) -> String {
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// Join a relative text onto a repository directory, folding `.` and `..`.
/// `Err` carries `rel` when the path leaves the root.
pub fn join(dir: &str, rel: &str) -> Result<String, String> {
    let mut parts: Vec<&str> = if dir.is_empty() {
        vec![]
    } else {
        dir.split('/').collect()
    };
    let mut escaped = 0usize;
    for seg in rel.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                if parts.pop().is_none() {
                    escaped += 1;
                }
            }
            s => {
                if escaped == 0 {
                    parts.push(s)
                }
            }
        }
    }
    if escaped > 0 {
        return Err(rel.to_string());
    }
    Ok(parts.join("/"))
}

/// The directory part of a repository-relative file path (`""` for the root).
pub fn parent(rel: &str) -> &str {
    rel.rsplit_once('/').map(|(d, _)| d).unwrap_or("")
}

/// A directory in a module position means its `default.nix`.
pub fn module_file(dir: &str) -> String {
    if dir.is_empty() {
        "default.nix".into()
    } else {
        format!("{dir}/default.nix")
    }
}

/// `""` for the root, else `dir/`: the prefix every path below `dir` has.
pub fn dir_prefix(dir: &str) -> String {
    if dir.is_empty() {
        String::new()
    } else {
        format!("{dir}/")
    }
}

/// A glob for `base` joined with a relative text holding `*` holes. A `..`
/// before the first hole is folded; one after a hole cannot be (the hole may
/// stand for any number of segments), so the whole of `base` (`base/**`) is
/// the answer then. A result that is the root is `**`.
pub fn glob_join(base: &str, rel: &str) -> String {
    let mut parts: Vec<String> = if base.is_empty() {
        vec![]
    } else {
        base.split('/').map(str::to_string).collect()
    };
    let mut seen_hole = false;
    for seg in rel.split('/') {
        match seg {
            "" | "." => {}
            ".." if !seen_hole => {
                if parts.pop().is_none() {
                    return "**".into();
                }
            }
            ".." => {
                return if base.is_empty() {
                    "**".into()
                } else {
                    format!("{base}/**")
                };
            }
            s => {
                seen_hole |= s.contains('*');
                parts.push(s.to_string());
            }
        }
    }
    if parts.is_empty() {
        "**".into()
    } else {
        parts.join("/")
    }
}

/// A matcher for one of the analysis's globs: `*` spans `/`, and every other
/// glob metacharacter (`?`, `[`, `]`, `{`, `}`) is literal, since it came from
/// a file name. `None` when the pattern cannot be compiled; callers then
/// treat every path as a match (wider, never narrower).
pub fn compile_glob(pattern: &str) -> Option<globset::GlobMatcher> {
    let escaped: String = pattern
        .chars()
        .map(|c| match c {
            '?' | '[' | ']' | '{' | '}' => format!("[{c}]"),
            c => c.to_string(),
        })
        .collect();
    globset::GlobBuilder::new(&escaped)
        .literal_separator(false)
        .build()
        .ok()
        .map(|g| g.compile_matcher())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn join_folds_dots_and_flags_escapes() {
        assert_eq!(join("hosts/yoga", "../../modules").unwrap(), "modules");
        assert_eq!(
            join("hosts/yoga", "./hardware.nix").unwrap(),
            "hosts/yoga/hardware.nix"
        );
        assert_eq!(join("", "./.").unwrap(), "");
        assert!(join("hosts", "../../outside.nix").is_err());
    }

    #[test]
    fn globs_fold_dots_before_the_first_hole() {
        assert_eq!(glob_join("hosts/yoga", "../*/key.pub"), "hosts/*/key.pub");
        assert_eq!(glob_join("lib", "../machines/*.nix"), "machines/*.nix");
        assert_eq!(glob_join("a", "*/../x"), "a/**");
    }

    #[test]
    fn os_paths_become_repository_paths() {
        let root = Path::new("/r");
        let p = RepoPath::from_os(root, Path::new("/r/hosts/yoga/default.nix"));
        assert_eq!(p.as_deref(), Some("hosts/yoga/default.nix"));
        assert_eq!(
            RepoPath::from_os(root, Path::new("/r")).as_deref(),
            Some("")
        );
        assert_eq!(RepoPath::from_os(root, Path::new("/elsewhere/x")), None);
        let dir = RepoPath::new_unchecked("hosts/yoga");
        assert_eq!(dir.module_file().as_str(), "hosts/yoga/default.nix");
        assert_eq!(dir.parent().as_str(), "hosts");
        assert_eq!(
            RepoPath::root().module_file().as_str(),
            "default.nix",
            "the root's module file"
        );
    }
}
