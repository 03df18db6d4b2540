//! The repository as the analyzer sees it: every file below the root (as git
//! would list it: .gitignore respected, symlinks not followed) and every .nix
//! file parsed with rnix, in parallel; for a question about hosts, each
//! top-level directory listed and each file read and parsed only when first
//! asked about.
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use rayon::prelude::*;

/// A .nix file, read and parsed on first use. The analysis of a change
/// reads and parses only the files some host reaches
/// (`SourceTree::load_lazy`, `SourceTree::from_revision`); the full report
/// parses every file up front, in parallel (`SourceTree::load`).
pub struct NixFile {
    /// Its repository path.
    pub rel: String,
    size: usize,
    /// Where the text comes from, until the file is parsed.
    raw: std::sync::Mutex<Option<Raw>>,
    parsed: std::sync::OnceLock<Parsed>,
}

/// Where a file's text comes from.
enum Raw {
    /// A file of the working tree, read when first parsed.
    Disk(PathBuf),
    /// A blob of the git repository holding `dir`, read when first parsed.
    Blob { dir: PathBuf, oid: String },
}

impl Raw {
    fn read(self) -> std::io::Result<Vec<u8>> {
        match self {
            Raw::Disk(path) => std::fs::read(path),
            Raw::Blob { dir, oid } => crate::git::read_blobs(&dir, std::slice::from_ref(&oid))
                .map_err(|e| std::io::Error::other(e.to_string()))
                .and_then(|mut b| b.pop().ok_or_else(|| std::io::Error::other("no blob"))),
        }
    }
}

impl NixFile {
    /// A file parsed now.
    pub(crate) fn new(rel: String, bytes: std::io::Result<Vec<u8>>) -> Self {
        NixFile {
            rel,
            size: bytes.as_ref().map_or(0, |b| b.len()),
            raw: std::sync::Mutex::new(None),
            parsed: std::sync::OnceLock::from(Parsed::new(bytes)),
        }
    }

    /// A file of the working tree at `path`, read and parsed when something
    /// first asks about its syntax (an unreadable file is then a file with
    /// an error, as for `new`).
    pub(super) fn on_disk(rel: String, path: PathBuf) -> Self {
        Self::from_raw(rel, Raw::Disk(path))
    }

    /// The blob `oid` of the repository holding `dir`, read and parsed when
    /// something first asks about its syntax.
    pub(super) fn in_git(rel: String, dir: PathBuf, oid: String) -> Self {
        Self::from_raw(rel, Raw::Blob { dir, oid })
    }

    fn from_raw(rel: String, raw: Raw) -> Self {
        NixFile {
            rel,
            size: 0,
            raw: std::sync::Mutex::new(Some(raw)),
            parsed: std::sync::OnceLock::new(),
        }
    }

    fn parsed(&self) -> &Parsed {
        self.parsed.get_or_init(|| {
            let raw = self.raw.lock().ok().and_then(|mut r| r.take());
            let bytes = match raw {
                Some(raw) => raw.read(),
                None => Err(std::io::Error::other("read twice")),
            };
            Parsed::new(bytes)
        })
    }

    /// The text names `unsafeGetAttrPos` or `__curPos`: code here can see
    /// where things are written, so layout edits may change what it
    /// computes. Reads and parses the file.
    pub fn sees_positions(&self) -> bool {
        self.parsed().sees_positions
    }

    /// Whether the file was parsed already (nothing is parsed by asking).
    pub fn is_parsed(&self) -> bool {
        self.parsed.get().is_some()
    }

    /// Why the file is unusable, or its first syntax error: (line, column,
    /// message), 1-based.
    pub fn error(&self) -> &Option<(u32, u32, String)> {
        &self.parsed().error
    }

    /// Walked on its own, the file can name nothing (see `Tokens`).
    pub fn inert(&self) -> bool {
        self.parsed().inert
    }

    /// No path can arise in the file (see `Tokens`).
    pub fn pathless(&self) -> bool {
        self.parsed().pathless
    }

    /// Size of the text in bytes, when it was read up front (0 when not, or
    /// when unreadable).
    pub fn size(&self) -> usize {
        self.size
    }

    /// The root of the syntax tree (`None`: unreadable).
    pub fn root(&self) -> Option<rnix::SyntaxNode> {
        self.parsed().root()
    }

    /// The file's top-level expression.
    pub fn root_expr(&self) -> Option<rnix::ast::Expr> {
        self.parsed().root_expr()
    }

    /// 1-based line and column of a byte offset.
    pub fn line_col(&self, offset: u32) -> (u32, u32) {
        self.parsed().line_col(offset)
    }

    /// The 1-based line a node starts on.
    pub fn line_of(&self, node: &rnix::SyntaxNode) -> u32 {
        self.parsed().line_of(node)
    }
}

/// A parsed .nix file. The green tree is shared between threads; each
/// thread builds its own `SyntaxNode` view from it.
struct Parsed {
    /// The syntax tree (`None`: unreadable). An inert file's tree is dropped
    /// once checked, which keeps a large flake's memory down (most of its
    /// files are inert leaves), and parsed again only if something asks.
    parse: std::sync::OnceLock<Option<rnix::Parse<rnix::Root>>>,
    /// The text of an inert file, to parse it again.
    text: Option<Box<str>>,
    /// Why the file is unusable, or its first syntax error: (line, column, message).
    pub error: Option<(u32, u32, String)>,
    /// Walked on its own, the file can name nothing (see `Tokens`).
    pub inert: bool,
    /// No path can arise in the file (see `Tokens`).
    pub pathless: bool,
    /// The text names `unsafeGetAttrPos` or `__curPos`.
    pub sees_positions: bool,
    line_starts: Vec<u32>,
}

impl Parsed {
    fn new(bytes: std::io::Result<Vec<u8>>) -> Self {
        let text = match bytes {
            Err(e) => return Self::broken(format!("cannot read: {e}")),
            Ok(b) => match String::from_utf8(b) {
                Ok(t) => t,
                Err(e) => {
                    let at = e.utf8_error().valid_up_to();
                    return Self::broken(format!(
                        "not valid UTF-8 (byte {at}); Nix files must be UTF-8 text"
                    ));
                }
            },
        };
        let line_starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i as u32 + 1))
            .collect::<Vec<_>>();
        let mut file = Parsed {
            parse: Default::default(),
            text: None,
            error: None,
            inert: false,
            pathless: false,
            sees_positions: text.contains("unsafeGetAttrPos") || text.contains("__curPos"),
            line_starts,
        };
        if text.contains('\0') {
            file.error = Some((1, 1, "contains NUL bytes: a binary file, not Nix".into()));
            return file;
        }
        if text.trim().is_empty() {
            file.error = Some((
                1,
                1,
                "empty file: Nix rejects a file without an expression".into(),
            ));
            return file;
        }
        if let Some(line) = too_deep(&text) {
            file.error = Some((
                line,
                1,
                format!(
                    "nests brackets deeper than {MAX_NESTING} levels; openspec does not parse it"
                ),
            ));
            return file;
        }
        let parse = rnix::Root::parse(&text);
        if let Some(err) = parse.errors().first() {
            let (line, col) = match error_offset(err) {
                Some(off) => file.line_col(off),
                None => (file.line_starts.len() as u32, 1),
            };
            file.error = Some((line, col, err.to_string()));
        } else {
            let tokens = scan_tokens(parse.syntax().green());
            file.pathless = tokens.pathless();
            if tokens.inert() {
                file.inert = true;
                file.text = Some(text.into_boxed_str());
                return file;
            }
        }
        file.parse = std::sync::OnceLock::from(Some(parse));
        file
    }

    fn broken(msg: String) -> Self {
        Parsed {
            parse: std::sync::OnceLock::from(None),
            text: None,
            error: Some((1, 1, msg)),
            inert: false,
            pathless: false,
            sees_positions: false,
            line_starts: vec![0],
        }
    }

    fn tree(&self) -> Option<&rnix::Parse<rnix::Root>> {
        self.parse
            .get_or_init(|| self.text.as_deref().map(rnix::Root::parse))
            .as_ref()
    }

    /// The root of the syntax tree (`None`: unreadable).
    pub fn root(&self) -> Option<rnix::SyntaxNode> {
        self.tree().map(|p| p.syntax())
    }

    /// The file's top-level expression.
    pub fn root_expr(&self) -> Option<rnix::ast::Expr> {
        self.tree().and_then(|p| p.tree().expr())
    }

    /// 1-based line and column of a byte offset.
    pub fn line_col(&self, offset: u32) -> (u32, u32) {
        let idx = self.line_starts.partition_point(|&s| s <= offset).max(1) - 1;
        (idx as u32 + 1, offset - self.line_starts[idx] + 1)
    }

    /// The 1-based line a node starts on.
    pub fn line_of(&self, node: &rnix::SyntaxNode) -> u32 {
        self.line_col(node.text_range().start().into()).0
    }
}

/// Deeper than any hand-written Nix; rnix recurses per level.
const MAX_NESTING: usize = 1500;

/// The line where bracket nesting passes `MAX_NESTING`, if it does. A plain
/// byte scan (brackets inside strings count too, which only errs toward
/// reporting a file that is absurdly nested anyway).
fn too_deep(text: &str) -> Option<u32> {
    let mut depth = 0usize;
    let mut line = 1u32;
    for b in text.bytes() {
        match b {
            b'(' | b'[' | b'{' => {
                depth += 1;
                if depth > MAX_NESTING {
                    return Some(line);
                }
            }
            b')' | b']' | b'}' => depth = depth.saturating_sub(1),
            b'\n' => line += 1,
            _ => {}
        }
    }
    None
}

/// Names that let a file refer to something with no path literal in it:
/// `self` and `inputs` (module arguments the analysis gives the flake's
/// meaning) and the impure builtins (an unresolved reference each).
const REFERRING_NAMES: [&str; 6] = [
    "self",
    "inputs",
    "getEnv",
    "currentSystem",
    "getFlake",
    "currentTime",
];

/// What the tokens of a file allow a module walk of it (arguments unknown)
/// to find. `inert`: nothing at all, so the walk is skipped; most leaf
/// modules of a large flake are like this. `pathless`: no path and no flake
/// value can arise in the file, so evaluation there only resolves names,
/// and its walk gets a tenth of the usual evaluation budget. Conservative by
/// construction; `tests/analysis_fuzz.rs` checks both against full walks.
#[derive(Debug, Clone, Copy, Default)]
struct Tokens {
    /// A path literal of any kind.
    paths: bool,
    /// An identifier or string naming something in `REFERRING_NAMES`.
    referring: bool,
    /// A computed attribute name (`x.${n}`), which could spell a builtin.
    dynamic: bool,
}

impl Tokens {
    fn inert(self) -> bool {
        !self.paths && !self.referring && !self.dynamic
    }
    fn pathless(self) -> bool {
        !self.paths && !self.referring
    }
}

fn scan_tokens(root: &rowan::GreenNodeData) -> Tokens {
    use rnix::SyntaxKind::*;
    let raw = |k: rnix::SyntaxKind| rowan::SyntaxKind(k as u16);
    let (dynamic, ident, content) = (
        raw(NODE_DYNAMIC),
        raw(TOKEN_IDENT),
        raw(TOKEN_STRING_CONTENT),
    );
    let (attrpath, inherit, string, interpol) = (
        raw(NODE_ATTRPATH),
        raw(NODE_INHERIT),
        raw(NODE_STRING),
        raw(NODE_INTERPOL),
    );
    let paths = [
        TOKEN_PATH_ABS,
        TOKEN_PATH_HOME,
        TOKEN_PATH_REL,
        TOKEN_PATH_SEARCH,
    ]
    .map(raw);
    let mut found = Tokens::default();
    let mut stack = vec![root];
    while let Some(node) = stack.pop() {
        for child in node.children() {
            match child {
                rowan::NodeOrToken::Node(n) => {
                    let k = n.kind();
                    // `x.${n}`, and a quoted name with an interpolation
                    // (`builtins."get${e}"`, `inherit (x) "${n}"`).
                    found.dynamic |= k == dynamic
                        || ((k == attrpath || k == inherit)
                            && n.children().any(|c| {
                                c.as_node().is_some_and(|s| {
                                    s.kind() == string && s.children().any(|p| p.kind() == interpol)
                                })
                            }));
                    stack.push(n);
                }
                rowan::NodeOrToken::Token(t) => {
                    let k = t.kind();
                    if k == ident {
                        found.referring |= REFERRING_NAMES.contains(&t.text());
                    } else if k == content {
                        // A quoted attribute name (`builtins."getEnv"`), maybe
                        // with escapes: compared without its backslashes.
                        let text = t.text();
                        let plain;
                        let text = if text.contains('\\') {
                            plain = text.replace('\\', "");
                            plain.as_str()
                        } else {
                            text
                        };
                        found.referring |= REFERRING_NAMES.iter().any(|n| text.contains(n));
                    } else {
                        found.paths |= paths.contains(&k);
                    }
                    if found.paths && found.referring {
                        return found;
                    }
                }
            }
        }
    }
    found
}

fn error_offset(err: &rnix::ParseError) -> Option<u32> {
    use rnix::ParseError::*;
    match err {
        Unexpected(r)
        | UnexpectedExtra(r)
        | UnexpectedWanted(_, r, _)
        | UnexpectedDoubleBind(r)
        | DuplicatedArgs(r, _) => Some(r.start().into()),
        _ => None,
    }
}

enum Kind {
    Dir,
    File,
    /// A link that resolves, with where to (a repository path, when inside).
    Link(bool, Option<String>),
    BrokenLink,
}

/// Every entry below `root` that git would consider (a `.gitignore` in any
/// directory, and `.git/info/exclude` at the root, respected; `.git` skipped;
/// symbolic links not followed), as (repository path, kind), in no
/// particular order.
///
/// The walk is ours rather than `ignore::WalkBuilder`'s: the builder probes
/// every directory for several ignore files, three times the cost of listing
/// a few hundred directories; the matching itself is the `ignore` crate's
/// `Gitignore`, built only for directories that hold a `.gitignore`. Each
/// directory is one task on the current rayon pool: listing is mostly
/// system calls, which run on every core.
fn list_worktree(root: &Path, real_root: Option<&Path>) -> Vec<(String, Kind)> {
    use std::sync::Mutex;
    let found = Mutex::new(Vec::new());
    fn go<'s>(
        scope: &rayon::Scope<'s>,
        (dir, rel, rules): Subdir,
        real_root: Option<&'s Path>,
        found: &'s Mutex<Vec<(String, Kind)>>,
    ) {
        let (mine, subdirs) = list_dir(&dir, &rel, rules, real_root);
        for sub in subdirs {
            scope.spawn(move |scope| go(scope, sub, real_root, found));
        }
        if let Ok(mut all) = found.lock() {
            all.extend(mine);
        }
    }
    rayon::scope(|scope| go(scope, top_dir(root), real_root, &found));
    found.into_inner().unwrap_or_else(|e| e.into_inner())
}

/// `list_worktree` for the directory `sub` below the root and what is below
/// it, on this thread alone (it may run while other threads wait for it).
fn list_subtree(sub: Subdir, real_root: Option<&Path>) -> Vec<(String, Kind)> {
    let mut found = vec![];
    let mut todo = vec![sub];
    while let Some(next) = todo.pop() {
        let (mine, subdirs) = list_dir(&next.0, &next.1, next.2, real_root);
        found.extend(mine);
        todo.extend(subdirs);
    }
    found
}

/// The root of a working tree, with the rules of `.git/info/exclude`.
fn top_dir(root: &Path) -> Subdir {
    let exclude = root.join(".git/info/exclude");
    let rules = ignore_rules(root, &exclude).into_iter().collect();
    (root.to_path_buf(), String::new(), rules)
}

use ignore::gitignore::Gitignore;

/// A directory to list: its path, its repository path, the ignore rules of
/// its ancestors (deepest last).
type Subdir = (PathBuf, String, Vec<Arc<Gitignore>>);

fn ignore_rules(dir: &Path, file: &Path) -> Option<Arc<Gitignore>> {
    let mut b = ignore::gitignore::GitignoreBuilder::new(dir);
    b.add(file);
    b.build().ok().filter(|g| !g.is_empty()).map(Arc::new)
}

/// One directory: its entries that git would consider, and its
/// subdirectories among them, to list next.
fn list_dir(
    dir: &Path,
    rel: &str,
    mut inherited: Vec<Arc<Gitignore>>,
    real_root: Option<&Path>,
) -> (Vec<(String, Kind)>, Vec<Subdir>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return (vec![], vec![]);
    };
    let entries: Vec<std::fs::DirEntry> = entries.flatten().collect();
    if entries.iter().any(|e| e.file_name() == ".gitignore") {
        inherited.extend(ignore_rules(dir, &dir.join(".gitignore")));
    }
    let mut mine = Vec::with_capacity(entries.len());
    let mut subdirs = vec![];
    for e in entries {
        let name = e.file_name();
        if name == ".git" {
            continue;
        }
        let Ok(ft) = e.file_type() else { continue };
        let path = e.path();
        // The deepest rule that speaks decides, as in git.
        let ignored = inherited
            .iter()
            .rev()
            .map(|g| g.matched(&path, ft.is_dir()))
            .find(|m| !m.is_none())
            .is_some_and(|m| m.is_ignore());
        if ignored {
            continue;
        }
        let name = name.to_string_lossy();
        let child = if rel.is_empty() {
            name.into_owned()
        } else {
            format!("{rel}/{name}")
        };
        let kind = if ft.is_dir() {
            subdirs.push((path, child.clone(), inherited.clone()));
            Kind::Dir
        } else if ft.is_symlink() {
            match std::fs::metadata(&path) {
                Ok(m) => Kind::Link(
                    m.is_dir(),
                    std::fs::canonicalize(&path)
                        .ok()
                        .zip(real_root)
                        .and_then(|(t, r)| super::path::RepoPath::from_os(r, &t))
                        .map(|p| p.into_string()),
                ),
                Err(_) => Kind::BrokenLink,
            }
        } else {
            Kind::File
        };
        mine.push((child, kind));
    }
    (mine, subdirs)
}

/// Files and directories of a part of the tree, repository paths with `/`
/// separators.
#[derive(Default)]
struct Part {
    /// Files (symbolic links included), sorted.
    files: BTreeSet<String>,
    /// Directories (without trailing `/`; `""` is the root).
    dirs: BTreeSet<String>,
    /// Every `.nix` file (symlinks that resolve included).
    nix: BTreeMap<String, Arc<NixFile>>,
    /// Symlinks that point nowhere usable (loops, dangling).
    broken_links: BTreeSet<String>,
    /// Symlinks that resolve inside the tree, and what they resolve to.
    links: BTreeMap<String, String>,
}

impl Part {
    /// The part holding `entries` (as `list_worktree` gives them), with a
    /// `NixFile` from `nix_file` for each `.nix` file.
    fn of(
        entries: Vec<(String, Kind)>,
        nix_file: impl Fn(&String) -> Arc<NixFile> + Sync,
        parallel: bool,
    ) -> Part {
        let mut part = Part::default();
        for (rel, kind) in entries {
            match kind {
                Kind::Dir => {
                    part.dirs.insert(rel);
                }
                // A link is a file of the tree either way; whether it resolves
                // decides if it can be read as Nix.
                Kind::Link(is_dir, target) => {
                    if is_dir {
                        part.dirs.insert(rel.clone());
                    }
                    if let Some(t) = target {
                        part.links.insert(rel.clone(), t);
                    }
                    part.files.insert(rel);
                }
                Kind::BrokenLink => {
                    part.broken_links.insert(rel.clone());
                    part.files.insert(rel);
                }
                Kind::File => {
                    part.files.insert(rel);
                }
            }
        }
        let nix: Vec<&String> = part
            .files
            .iter()
            .filter(|f| f.ends_with(".nix") && !part.broken_links.contains(*f))
            .collect();
        part.nix = if parallel {
            nix.into_par_iter()
                .map(|f| (f.clone(), nix_file(f)))
                .collect()
        } else {
            nix.into_iter().map(|f| (f.clone(), nix_file(f))).collect()
        };
        part
    }

    /// `self` split into the entries of the root directory itself and one
    /// part per top-level directory.
    fn split(self) -> (Part, BTreeMap<String, OnceLock<Part>>) {
        let mut top = Part::default();
        let mut below: BTreeMap<String, Part> = BTreeMap::new();
        fn part<'a>(
            top: &'a mut Part,
            below: &'a mut BTreeMap<String, Part>,
            p: &str,
        ) -> &'a mut Part {
            match p.split_once('/') {
                Some((t, _)) => below.entry(t.to_string()).or_default(),
                None => top,
            }
        }
        for f in self.files {
            part(&mut top, &mut below, &f).files.insert(f);
        }
        for d in self.dirs {
            part(&mut top, &mut below, &d).dirs.insert(d);
        }
        for b in self.broken_links {
            part(&mut top, &mut below, &b).broken_links.insert(b);
        }
        for (k, v) in self.nix {
            part(&mut top, &mut below, &k).nix.insert(k, v);
        }
        for (k, v) in self.links {
            part(&mut top, &mut below, &k).links.insert(k, v);
        }
        let mut parts: BTreeMap<String, OnceLock<Part>> = below
            .into_iter()
            .map(|(t, p)| (t, OnceLock::from(p)))
            .collect();
        // Every top-level directory has its part, even an empty one.
        for d in top.dirs.iter().filter(|d| !d.is_empty()) {
            parts
                .entry(d.clone())
                .or_insert_with(|| OnceLock::from(Part::default()));
        }
        (top, parts)
    }
}

/// Another tree of the same repository whose parses a new tree may share:
/// every `.nix` file not in `changed` has the same content in both.
pub struct Reuse<'a> {
    /// The tree already parsed.
    pub tree: &'a SourceTree,
    /// Repository paths whose content differs between the two trees.
    pub changed: &'a BTreeSet<String>,
}

/// Every file below the root, and the parsed .nix files among them.
///
/// A tree is kept as the entries of the root directory and one part per
/// top-level directory. A working tree loaded for a question about hosts
/// (`load_lazy`) lists a top-level directory only when something first asks
/// about a path below it, so the folders no host reaches (documentation,
/// the OpenSpec changes, editor settings) are never listed; any question
/// about the whole tree (a glob, the root taken whole) lists every part.
/// Other trees are listed whole up front.
pub struct SourceTree {
    /// The flake's directory.
    pub root: PathBuf,
    /// Files are parsed on first use, and the model is built from what the
    /// hosts reach (`load_lazy`, revisions): files no host reaches are
    /// never parsed, so their parse errors are not reported.
    pub lazy: bool,
    /// The root directory's own entries ("" among its directories).
    top: Part,
    /// One part per top-level directory.
    parts: BTreeMap<String, OnceLock<Part>>,
    /// How to list a part not listed yet (a lazily listed working tree).
    lister: Option<Lister>,
}

/// What listing a top-level directory later needs.
struct Lister {
    /// The ignore rules in force in the root directory.
    rules: Vec<Arc<Gitignore>>,
    real_root: Option<PathBuf>,
    /// The parse of flake.nix made while the root was listed.
    flake_nix: Arc<NixFile>,
}

impl SourceTree {
    /// List every file below `root` (as git would: .gitignore respected,
    /// .git skipped, symlinks not followed) and parse every `.nix` file, in
    /// parallel on the current rayon pool. Unreadable files become
    /// `NixFile`s with an error, never a failure of the whole load.
    pub fn load(root: &Path) -> Self {
        let real_root = std::fs::canonicalize(root).ok();
        // flake.nix, where every walk starts, is parsed while the tree is
        // listed rather than after.
        let (found, flake_nix) = rayon::join(
            || list_worktree(root, real_root.as_deref()),
            || {
                Arc::new(NixFile::new(
                    "flake.nix".into(),
                    std::fs::read(root.join("flake.nix")),
                ))
            },
        );
        crate::timing::phase("list files");
        let mut all = Part::of(
            found,
            |f| {
                if f == "flake.nix" {
                    flake_nix.clone()
                } else {
                    Arc::new(NixFile::new(f.clone(), std::fs::read(root.join(f))))
                }
            },
            true,
        );
        all.dirs.insert(String::new());
        Self::listed(root, false, all)
    }

    /// `load`, listing each top-level directory only when something first
    /// asks about a path below it, and reading and parsing each `.nix` file
    /// only when first asked about its syntax.
    pub fn load_lazy(root: &Path) -> Self {
        let real_root = std::fs::canonicalize(root).ok();
        let ((entries, subdirs), flake_nix) = rayon::join(
            || {
                let (dir, rel, rules) = top_dir(root);
                let (entries, subdirs) = list_dir(&dir, &rel, rules, real_root.as_deref());
                (entries, subdirs)
            },
            || {
                Arc::new(NixFile::new(
                    "flake.nix".into(),
                    std::fs::read(root.join("flake.nix")),
                ))
            },
        );
        crate::timing::phase("list files");
        // The rules every top-level directory inherits: the root's.
        let rules = subdirs.first().map(|s| s.2.clone()).unwrap_or_else(|| {
            let (_, _, mut rules) = top_dir(root);
            rules.extend(ignore_rules(root, &root.join(".gitignore")));
            rules
        });
        let mut top = Part::of(
            entries,
            |f| {
                if f == "flake.nix" {
                    flake_nix.clone()
                } else {
                    Arc::new(NixFile::on_disk(f.clone(), root.join(f)))
                }
            },
            false,
        );
        top.dirs.insert(String::new());
        let parts = subdirs
            .into_iter()
            .map(|(_, rel, _)| (rel, OnceLock::new()))
            .collect();
        SourceTree {
            root: root.to_path_buf(),
            lazy: true,
            top,
            parts,
            lister: Some(Lister {
                rules,
                real_root,
                flake_nix,
            }),
        }
    }

    /// A tree listed whole.
    fn listed(root: &Path, lazy: bool, all: Part) -> Self {
        let (top, parts) = all.split();
        SourceTree {
            root: root.to_path_buf(),
            lazy,
            top,
            parts,
            lister: None,
        }
    }

    /// The tree of the git revision `rev` as Nix would copy it for a flake
    /// at `dir` (every tracked file below `dir`; `dir` may be below the
    /// repository's top level), read from git objects: nothing is checked
    /// out and the working tree and index are not touched. Symbolic links are
    /// resolved inside the tree (a link that leaves it or resolves to nothing
    /// is a broken link); submodules are empty directories.
    ///
    /// With `reuse`, a `.nix` file whose path is not in `reuse.changed` and
    /// that `reuse.tree` holds has the same content in both trees, so its
    /// parse is shared rather than read and parsed again: comparing two
    /// sides of a change costs little more than one.
    ///
    /// Errors: an unknown revision, a repository git cannot read.
    pub fn from_revision(
        dir: &Path,
        rev: &str,
        reuse: Option<Reuse<'_>>,
    ) -> Result<Self, crate::git::GitError> {
        use crate::git::{self, TreeEntryKind};
        let entries = git::ls_tree(dir, rev)?;
        let mut files = BTreeSet::new();
        let mut dirs = BTreeSet::new();
        let mut broken_links = BTreeSet::new();
        dirs.insert(String::new());
        let mut blob_of: HashMap<String, String> = HashMap::new();
        let mut resolved_links: BTreeMap<String, String> = BTreeMap::new();
        let mut links: Vec<(String, String)> = vec![];
        for e in entries {
            match e.kind {
                TreeEntryKind::Dir | TreeEntryKind::Submodule => {
                    dirs.insert(e.path);
                }
                TreeEntryKind::File => {
                    blob_of.insert(e.path.clone(), e.oid);
                    files.insert(e.path);
                }
                TreeEntryKind::Symlink => {
                    files.insert(e.path.clone());
                    links.push((e.path, e.oid));
                }
            }
        }
        let link_oids: Vec<String> = links.iter().map(|(_, o)| o.clone()).collect();
        let targets = git::read_blobs(dir, &link_oids)?;
        let link_target: HashMap<&str, String> = links
            .iter()
            .zip(&targets)
            .map(|((p, _), t)| (p.as_str(), String::from_utf8_lossy(t).into_owned()))
            .collect();
        // A link stands for what it finally resolves to inside the tree.
        let mut resolved_blob: HashMap<String, String> = HashMap::new();
        for (link, _) in &links {
            let mut cur = link.clone();
            let mut end = None;
            for _ in 0..40 {
                let Some(target) = link_target.get(cur.as_str()) else {
                    end = Some(cur);
                    break;
                };
                match super::path::join(super::path::parent(&cur), target) {
                    Ok(next) if !target.starts_with('/') => cur = next,
                    _ => break,
                }
            }
            match end {
                Some(p) if dirs.contains(&p) => {
                    dirs.insert(link.clone());
                    resolved_links.insert(link.clone(), p);
                }
                Some(p) if blob_of.contains_key(&p) => {
                    resolved_blob.insert(link.clone(), blob_of[&p].clone());
                    resolved_links.insert(link.clone(), p);
                }
                _ => {
                    broken_links.insert(link.clone());
                }
            }
        }
        blob_of.extend(resolved_blob);
        let mut nix: BTreeMap<String, Arc<NixFile>> = BTreeMap::new();
        let mut wanted: Vec<(String, String)> = vec![];
        for f in files
            .iter()
            .filter(|f| f.ends_with(".nix") && !broken_links.contains(*f))
        {
            // A link's content is its target's, which may have changed
            // while the link itself did not: links are always read.
            let is_link = link_target.contains_key(f.as_str());
            let shared = reuse.as_ref().and_then(|r| {
                (!is_link && !r.changed.contains(f))
                    .then(|| r.tree.loaded_nix_file(f))
                    .flatten()
            });
            match (shared, blob_of.get(f)) {
                (Some(parsed), _) => {
                    nix.insert(f.clone(), parsed.clone());
                }
                (None, Some(oid)) => wanted.push((f.clone(), oid.clone())),
                // A link to a directory named `.nix`: not a file to parse.
                (None, None) => {}
            }
        }
        // Read when first parsed: only the files some host reaches are.
        nix.extend(wanted.into_iter().map(|(rel, oid)| {
            let file = NixFile::in_git(rel.clone(), dir.to_path_buf(), oid);
            (rel, Arc::new(file))
        }));
        let all = Part {
            files,
            dirs,
            nix,
            broken_links,
            links: resolved_links,
        };
        Ok(SourceTree::listed(dir, true, all))
    }

    /// The part that holds `rel`: the root's entries for a name at the top,
    /// else its top-level directory's part, listed now if it was not yet.
    fn part_of(&self, rel: &str) -> Option<&Part> {
        match rel.split_once('/') {
            None => Some(&self.top),
            Some((top, _)) => self.parts.get(top).map(|p| self.ensure(top, p)),
        }
    }

    fn ensure<'a>(&'a self, top: &str, part: &'a OnceLock<Part>) -> &'a Part {
        part.get_or_init(|| {
            let Some(l) = &self.lister else {
                return Part::default();
            };
            let sub = (self.root.join(top), top.to_string(), l.rules.clone());
            let found = list_subtree(sub, l.real_root.as_deref());
            Part::of(
                found,
                |f| {
                    if f == "flake.nix" {
                        l.flake_nix.clone()
                    } else {
                        Arc::new(NixFile::on_disk(f.clone(), self.root.join(f)))
                    }
                },
                false,
            )
        })
    }

    /// Every part, each listed now if it was not yet (in parallel).
    fn all_parts(&self) -> Vec<&Part> {
        if self.lister.is_some() {
            self.parts.par_iter().for_each(|(top, p)| {
                self.ensure(top, p);
            });
        }
        std::iter::once(&self.top)
            .chain(self.parts.iter().map(|(t, p)| self.ensure(t, p)))
            .collect()
    }

    /// Whether `rel` is a file (or a symlink) of the tree.
    pub fn is_file(&self, rel: &str) -> bool {
        self.part_of(rel).is_some_and(|p| p.files.contains(rel))
    }

    /// Whether `rel` is a directory of the tree (`""` is the root).
    pub fn is_dir(&self, rel: &str) -> bool {
        self.part_of(rel).is_some_and(|p| p.dirs.contains(rel))
    }

    /// Whether `rel` is a symbolic link that points nowhere usable.
    pub fn is_broken_link(&self, rel: &str) -> bool {
        self.part_of(rel)
            .is_some_and(|p| p.broken_links.contains(rel))
    }

    /// The `.nix` file at `rel` (a symlink that resolves included).
    pub fn nix_file(&self, rel: &str) -> Option<&Arc<NixFile>> {
        self.part_of(rel)?.nix.get(rel)
    }

    /// `nix_file`, only when the part holding `rel` was listed already.
    fn loaded_nix_file(&self, rel: &str) -> Option<&Arc<NixFile>> {
        match rel.split_once('/') {
            None => self.top.nix.get(rel),
            Some((top, _)) => self.parts.get(top)?.get()?.nix.get(rel),
        }
    }

    /// Every `.nix` file of the tree, sorted by path (lists every part).
    pub fn all_nix(&self) -> Vec<(&String, &Arc<NixFile>)> {
        let mut all: Vec<_> = self.all_parts().into_iter().flat_map(|p| &p.nix).collect();
        all.sort_by(|a, b| a.0.cmp(b.0));
        all
    }

    /// The `.nix` files of the parts listed so far, sorted by path: every
    /// file something asked about is among them.
    pub fn listed_nix(&self) -> Vec<(&String, &Arc<NixFile>)> {
        let mut all: Vec<_> = std::iter::once(&self.top)
            .chain(self.parts.values().filter_map(OnceLock::get))
            .flat_map(|p| &p.nix)
            .collect();
        all.sort_by(|a, b| a.0.cmp(b.0));
        all
    }

    /// The parts that can hold paths below `dir`.
    fn parts_under(&self, dir: &str) -> Vec<&Part> {
        if dir.is_empty() {
            return self.all_parts();
        }
        let top = dir.split_once('/').map_or(dir, |(t, _)| t);
        self.parts
            .get(top)
            .map(|p| vec![self.ensure(top, p)])
            .unwrap_or_default()
    }

    /// Files below a directory (recursively), sorted.
    pub fn files_under<'a>(&'a self, dir: &'a str) -> impl Iterator<Item = &'a String> + 'a {
        self.under(dir, |p| &p.files)
    }

    /// Directories below a directory (recursively, itself not included), sorted.
    pub fn dirs_under<'a>(&'a self, dir: &'a str) -> impl Iterator<Item = &'a String> + 'a {
        self.under(dir, |p| &p.dirs)
    }

    /// The paths of one kind (`pick`) below `dir`, sorted.
    fn under<'a>(
        &'a self,
        dir: &str,
        pick: fn(&Part) -> &BTreeSet<String>,
    ) -> std::vec::IntoIter<&'a String> {
        let prefix = super::path::dir_prefix(dir);
        let mut found: Vec<&String> = self
            .parts_under(dir)
            .into_iter()
            .flat_map(|p| {
                pick(p)
                    .range(prefix.clone()..)
                    .take_while(|f| f.starts_with(&prefix))
                    .filter(|f| !f.is_empty())
            })
            .collect();
        found.sort();
        found.into_iter()
    }

    /// The path `rel` resolves to when it goes through a symbolic link of
    /// the tree (`mods/x.nix` with `mods -> real` is `real/x.nix`; a link
    /// to a file is its target); `None` when no link is on the way.
    pub fn through_link(&self, rel: &str) -> Option<String> {
        let mut cur = rel.to_string();
        let mut moved = false;
        // Each step replaces the longest linked prefix; links may chain.
        for _ in 0..40 {
            let ends = cur
                .match_indices('/')
                .map(|(i, _)| i)
                .chain(std::iter::once(cur.len()))
                .collect::<Vec<_>>();
            let prefix = ends.iter().rev().find_map(|&end| {
                let l = &cur[..end];
                let target = self.part_of(l)?.links.get(l)?;
                Some((end, target.clone()))
            });
            let Some((end, target)) = prefix else {
                break;
            };
            cur = format!("{target}{}", &cur[end..]);
            moved = true;
        }
        moved.then_some(cur)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_is_one_based() {
        let f = NixFile::new("a.nix".into(), Ok(b"{\n  a = ;\n}\n".to_vec()));
        let (line, _, _) = f.error().clone().unwrap();
        assert_eq!(line, 2);
        assert_eq!(f.line_col(0), (1, 1));
        assert_eq!(f.line_col(2), (2, 1));
    }
}
