//! Where OpenSpec items live under `openspec/`, and loading them whole:
//! every file problem becomes part of the loaded item, never a crash.
//!
//! Rules of the layout:
//! - Active changes are the directories under `changes/` except `archive`
//!   and names starting with `.`.
//! - A main spec is any `spec.md` below `specs/`; its id is its directory's
//!   path below `specs/` with `/` separators (`area/cap`).
//! - A change's delta specs are `changes/<id>/specs/<capability>/spec.md`
//!   (capabilities may nest too). Other files under `specs/` are listed but
//!   not read; a `spec.md` directly in `specs/` or at the change root is
//!   recorded so validation can point at it.
//! - A file that is absent is `None` where it is optional; one that cannot
//!   be read or decoded is a [`ReadProblem`] kept in the item.
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

use super::SpecError;
use super::doc::{Doc, NotUtf8};
use super::parse::{DeltaSpec, MainSpec, Proposal, Tasks};
use super::parse::{parse_delta, parse_main_spec, parse_proposal, parse_tasks};

/// A file that could not be used, with the fix in the message (its
/// `Display`). Kept in loaded items, so it is `Clone`; the I/O error is
/// shared behind an `Arc` for that.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ReadProblem {
    /// The file exists but reading it failed (permissions, a directory, …).
    #[error("cannot read the file ({0}); make it a readable regular file")]
    Unreadable(#[source] Arc<std::io::Error>),
    /// The bytes (after an optional BOM) are not UTF-8.
    #[error("not valid UTF-8 (line {}); re-save the file as UTF-8", .0.line)]
    NotUtf8(#[source] NotUtf8),
    /// A file that must exist (a main spec being loaded) does not.
    #[error("the file does not exist")]
    Missing,
}

impl ReadProblem {
    /// The 1-based line the problem is on, when it has one (bad UTF-8).
    pub fn line(&self) -> Option<usize> {
        match self {
            ReadProblem::NotUtf8(e) => Some(e.line),
            ReadProblem::Unreadable(_) | ReadProblem::Missing => None,
        }
    }
}

/// Read and decode a markdown file; `Ok(None)` when it does not exist.
///
/// Errors: [`ReadProblem::Unreadable`] for any other read error,
/// [`ReadProblem::NotUtf8`] for bytes that are not UTF-8.
pub fn read_doc(path: &Path) -> Result<Option<Doc>, ReadProblem> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(ReadProblem::Unreadable(Arc::new(e))),
    };
    Doc::from_bytes(&bytes)
        .map(Some)
        .map_err(ReadProblem::NotUtf8)
}

/// An OpenSpec repository: the root and its `openspec/` directory. Paths
/// are not checked on construction (see [`Repo::open`]).
#[derive(Debug, Clone)]
pub struct Repo {
    /// The repository root (`--root`).
    pub root: PathBuf,
    /// `<root>/openspec`.
    pub dir: PathBuf,
}

/// A main spec as loaded: its file, decoded or not, and the parsed model.
#[derive(Debug, Clone)]
pub struct LoadedSpec {
    /// The capability id (`area/cap` when nested).
    pub id: String,
    /// `openspec/specs/<id>/spec.md` (absolute when the root is).
    pub path: PathBuf,
    /// The same path relative to the repository root, `/`-separated.
    pub rel: String,
    /// The decoded file, or why it could not be used (missing included).
    pub doc: Result<Doc, ReadProblem>,
    /// The parsed spec; empty when `doc` is an error.
    pub spec: MainSpec,
}

/// One delta spec of a change.
#[derive(Debug, Clone)]
pub struct DeltaFile {
    /// The capability id (`area/cap` when nested).
    pub capability: String,
    /// `changes/<id>/specs/<capability>/spec.md`.
    pub path: PathBuf,
    /// The same path relative to the repository root, `/`-separated.
    pub rel: String,
    /// The decoded file, or why it could not be used.
    pub doc: Result<Doc, ReadProblem>,
    /// The parsed delta; empty when `doc` is an error.
    pub delta: DeltaSpec,
}

/// `.openspec.yaml` of a change. Known keys are read; others are ignored.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Meta {
    /// `schema`: `spec-driven`, or a directory under `openspec/schemas/`.
    pub schema: Option<String>,
    /// `created`: kept as text (a non-string value as its debug form).
    pub created: Option<String>,
    /// `skip_specs: true`: the change has no deltas and archive touches no spec.
    pub skip_specs: bool,
    /// `retire_capabilities`: capability ids the change retires.
    pub retire_capabilities: Vec<String>,
}

/// What a change's `.openspec.yaml` turned out to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MetaState {
    /// There is no such file (allowed).
    Absent,
    /// Read and understood (an empty file gives the default).
    Ok(Meta),
    /// Unreadable, not UTF-8, not YAML, not a mapping, or a known key with
    /// a wrong type or an unknown schema; the message says what to fix.
    Unusable(String),
}

/// An active (or archived) change as loaded.
#[derive(Debug, Clone)]
pub struct Change {
    /// The change id (its directory name).
    pub id: String,
    /// The change directory.
    pub dir: PathBuf,
    /// The directory relative to the repository root, `/`-separated.
    pub rel: String,
    /// `proposal.md` parsed; `None` when absent.
    pub proposal: Option<Result<Proposal, ReadProblem>>,
    /// `tasks.md` parsed; `None` when absent.
    pub tasks: Option<Result<Tasks, ReadProblem>>,
    /// `.openspec.yaml`.
    pub meta: MetaState,
    /// Every `specs/<capability>/spec.md` that exists, sorted by path.
    pub deltas: Vec<DeltaFile>,
    /// `changes/<id>/specs/spec.md`, which belongs one level deeper.
    pub root_spec: Option<String>,
    /// Every file under `changes/<id>/specs/` (relative to the root).
    pub spec_files: Vec<String>,
    /// `changes/<id>/spec.md`: not a delta, ignored apart from an info issue.
    pub change_root_spec: Option<String>,
    /// When the folder is not a change but wraps nested change folders:
    /// their ids (`mobile/refresh-token`), see [`Repo::nested_changes`].
    pub nested: Option<Vec<String>>,
}

impl Change {
    /// The newest modification time of any file in the change (walks the directory).
    pub fn last_modified(&self) -> Option<SystemTime> {
        last_modified(&self.dir)
    }

    /// `(done, total)` tasks; `(0, 0)` without a readable `tasks.md`.
    pub fn task_counts(&self) -> (usize, usize) {
        match &self.tasks {
            Some(Ok(t)) => (t.done, t.total),
            _ => (0, 0),
        }
    }

    /// The change's title: the proposal's title, or the change id when the
    /// proposal is missing, unreadable, has no `#` heading or only the bare
    /// template heading `# Proposal` (OpenSpec 1.13.2's templates start so).
    pub fn title(&self) -> String {
        match &self.proposal {
            Some(Ok(p)) => match p.title.as_deref().map(str::trim) {
                Some(t) if !t.is_empty() && !t.eq_ignore_ascii_case("proposal") => t.to_string(),
                _ => self.id.clone(),
            },
            _ => self.id.clone(),
        }
    }
}

impl Repo {
    /// The repository at `root` (`<root>/openspec`), not checked.
    pub fn new(root: &Path) -> Repo {
        Repo {
            root: root.to_path_buf(),
            dir: root.join("openspec"),
        }
    }

    /// The repository, or an environment error when `openspec/` is missing.
    ///
    /// Errors: [`SpecError::NoOpenspecDir`] when `<root>/openspec` is not a directory.
    pub fn open(root: &Path) -> Result<Repo, SpecError> {
        let repo = Repo::new(root);
        if repo.dir.is_dir() {
            Ok(repo)
        } else {
            Err(SpecError::NoOpenspecDir(root.display().to_string()))
        }
    }

    /// `openspec/changes`.
    pub fn changes_dir(&self) -> PathBuf {
        self.dir.join("changes")
    }
    /// `openspec/changes/archive`.
    pub fn archive_dir(&self) -> PathBuf {
        self.changes_dir().join("archive")
    }
    /// `openspec/specs`.
    pub fn specs_dir(&self) -> PathBuf {
        self.dir.join("specs")
    }
    /// `openspec/specs/<id>/spec.md` (`id` is not checked here).
    pub fn spec_path(&self, id: &str) -> PathBuf {
        self.specs_dir().join(id).join("spec.md")
    }

    /// `path` relative to the root with `/` separators.
    pub fn rel(&self, path: &Path) -> String {
        crate::flake::path::os_relative_text(path.strip_prefix(&self.root).unwrap_or(path))
    }

    /// Active changes: non-hidden directories under `changes/` except `archive`
    /// (legacy: only those holding a proposal.md), sorted. No `changes/` is
    /// no change.
    ///
    /// Errors: [`SpecError::Io`] when `changes/` cannot be listed.
    pub fn change_ids(&self, legacy: bool) -> Result<Vec<String>, SpecError> {
        let dir = self.changes_dir();
        let entries = match std::fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(self.io_error(&dir, e)),
        };
        let mut ids = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| self.io_error(&dir, e))?;
            let name = entry.file_name().to_string_lossy().to_string();
            if name.starts_with('.') || name == "archive" || !entry.path().is_dir() {
                continue;
            }
            if legacy && !entry.path().join("proposal.md").is_file() {
                continue;
            }
            ids.push(name);
        }
        ids.sort();
        Ok(ids)
    }

    /// Main specs: every `spec.md` below `specs/`, id = its directory path,
    /// sorted by path (a `spec.md` directly in `specs/` is left out).
    ///
    /// Errors: [`SpecError::Io`] when the walk of `specs/` fails.
    pub fn spec_ids(&self) -> Result<Vec<String>, SpecError> {
        let dir = self.specs_dir();
        if !dir.is_dir() {
            return Ok(Vec::new());
        }
        spec_files_under(&dir)
            .map_err(|e| self.io_error(&dir, e))
            .map(|files| files.into_iter().filter(|c| !c.is_empty()).collect())
    }

    /// When `changes/<id>/` is not a change itself (no `proposal.md`,
    /// `tasks.md`, `design.md`, `.openspec.yaml`, no file under `specs/`, no
    /// other file of its own) but wraps change folders up to three levels
    /// down: their ids (`id/sub`), sorted. `None` otherwise.
    pub fn nested_changes(&self, id: &str) -> Option<Vec<String>> {
        fn looks_like_change(dir: &Path) -> bool {
            [".openspec.yaml", "proposal.md", "tasks.md", "design.md"]
                .iter()
                .any(|m| dir.join(m).is_file())
                || walkdir::WalkDir::new(dir.join("specs"))
                    .into_iter()
                    .filter_map(|e| e.ok())
                    .any(|e| e.file_type().is_file())
        }
        fn subdirs(dir: &Path) -> Vec<String> {
            std::fs::read_dir(dir)
                .map(|rd| {
                    rd.filter_map(|e| e.ok())
                        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
                        .map(|e| e.file_name().to_string_lossy().into_owned())
                        .filter(|n| !n.starts_with('.'))
                        .collect()
                })
                .unwrap_or_default()
        }
        fn collect(dir: &Path, prefix: &str, depth: usize, out: &mut Vec<String>) {
            if depth > 3 {
                return;
            }
            for child in subdirs(dir) {
                let p = dir.join(&child);
                let id = format!("{prefix}/{child}");
                if looks_like_change(&p) {
                    out.push(id);
                } else {
                    collect(&p, &id, depth + 1, out);
                }
            }
        }
        if id == "archive" || id.starts_with('.') {
            return None;
        }
        let dir = self.changes_dir().join(id);
        if looks_like_change(&dir) {
            return None;
        }
        let own_file = std::fs::read_dir(&dir)
            .ok()?
            .filter_map(|e| e.ok())
            .any(|e| {
                !e.file_name().to_string_lossy().starts_with('.')
                    && !e.file_type().is_ok_and(|t| t.is_dir())
            });
        if own_file {
            return None;
        }
        let mut out = Vec::new();
        collect(&dir, id, 1, &mut out);
        out.sort();
        (!out.is_empty()).then_some(out)
    }

    /// Whether `changes/<id>` is an active change directory.
    pub fn change_exists(&self, id: &str) -> bool {
        id != "archive" && !id.starts_with('.') && self.changes_dir().join(id).is_dir()
    }

    /// Whether `specs/<id>/spec.md` exists.
    pub fn spec_exists(&self, id: &str) -> bool {
        self.spec_path(id).exists()
    }

    /// Load main spec `id`; a missing or unusable file is kept in `doc`.
    pub fn load_spec(&self, id: &str) -> LoadedSpec {
        let path = self.spec_path(id);
        let doc = match read_doc(&path) {
            Ok(Some(d)) => Ok(d),
            Ok(None) => Err(ReadProblem::Missing),
            Err(p) => Err(p),
        };
        let spec = doc.as_ref().map(parse_main_spec).unwrap_or_default();
        LoadedSpec {
            id: id.to_string(),
            rel: self.rel(&path),
            path,
            doc,
            spec,
        }
    }

    /// Load active change `id` from `changes/<id>`.
    pub fn load_change(&self, id: &str) -> Change {
        let mut c = self.load_change_at(id, &self.changes_dir().join(id));
        c.nested = self.nested_changes(id);
        c
    }

    /// Load a change from any directory (an archived one, say). Never fails:
    /// every problem is kept in the result.
    pub fn load_change_at(&self, id: &str, dir: &Path) -> Change {
        let proposal = read_doc(&dir.join("proposal.md"))
            .transpose()
            .map(|r| r.map(|d| parse_proposal(&d)));
        let tasks = read_doc(&dir.join("tasks.md"))
            .transpose()
            .map(|r| r.map(|d| parse_tasks(&d)));
        let specs = dir.join("specs");
        let mut spec_files = Vec::new();
        let mut deltas = Vec::new();
        let mut root_spec = None;
        if specs.is_dir() {
            for entry in walkdir::WalkDir::new(&specs)
                .sort_by_file_name()
                .into_iter()
                .filter_map(Result::ok)
                .filter(|e| !e.file_type().is_dir())
            {
                let path = entry.path();
                spec_files.push(self.rel(path));
                if entry.file_name() != "spec.md" {
                    continue;
                }
                let Some(cap) = path
                    .parent()
                    .and_then(|p| p.strip_prefix(&specs).ok())
                    .map(|p| self.rel_components(p))
                else {
                    continue;
                };
                if cap.is_empty() {
                    root_spec = Some(self.rel(path));
                    continue;
                }
                let doc = match read_doc(path) {
                    Ok(Some(d)) => Ok(d),
                    Ok(None) => continue,
                    Err(p) => Err(p),
                };
                let delta = doc.as_ref().map(parse_delta).unwrap_or_default();
                deltas.push(DeltaFile {
                    capability: cap,
                    path: path.to_path_buf(),
                    rel: self.rel(path),
                    doc,
                    delta,
                });
            }
        }
        Change {
            id: id.to_string(),
            dir: dir.to_path_buf(),
            rel: self.rel(dir),
            proposal,
            tasks,
            meta: load_meta(&dir.join(".openspec.yaml"), &self.dir),
            deltas,
            root_spec,
            spec_files,
            change_root_spec: dir
                .join("spec.md")
                .is_file()
                .then(|| self.rel(&dir.join("spec.md"))),
            nested: None,
        }
    }

    fn rel_components(&self, p: &Path) -> String {
        crate::flake::path::os_relative_text(p)
    }

    fn io_error(&self, path: &Path, source: std::io::Error) -> SpecError {
        SpecError::Io {
            path: self.rel(path),
            source,
        }
    }
}

fn spec_files_under(dir: &Path) -> std::io::Result<Vec<String>> {
    let mut ids = Vec::new();
    for entry in walkdir::WalkDir::new(dir).sort_by_file_name() {
        let entry = entry.map_err(std::io::Error::other)?;
        if entry.file_name() == "spec.md"
            && let Some(parent) = entry.path().parent()
            && let Ok(rel) = parent.strip_prefix(dir)
        {
            let id = crate::flake::path::os_relative_text(rel);
            ids.push(id);
        }
    }
    Ok(ids)
}

/// The newest modification time of any file in the change.
fn last_modified(dir: &Path) -> Option<SystemTime> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter_map(|e| e.metadata().ok()?.modified().ok())
        .max()
}

/// Schemas this tool knows, plus any project schema under `openspec/schemas/`.
fn schema_known(name: &str, openspec_dir: &Path) -> bool {
    name == "spec-driven"
        || (super::check_item_name(name).is_ok()
            && openspec_dir.join("schemas").join(name).is_dir())
}

fn load_meta(path: &Path, openspec_dir: &Path) -> MetaState {
    let text = match std::fs::read(path) {
        Ok(b) => match String::from_utf8(b) {
            Ok(t) => t,
            Err(_) => return MetaState::Unusable("not valid UTF-8; re-save it as UTF-8".into()),
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return MetaState::Absent,
        Err(e) => return MetaState::Unusable(format!("cannot read it ({e})")),
    };
    let value: serde_yaml::Value = match serde_yaml::from_str(&text) {
        Ok(v) => v,
        Err(e) => return MetaState::Unusable(format!("broken YAML ({e}); fix the syntax")),
    };
    let map = match value {
        serde_yaml::Value::Null => return MetaState::Ok(Meta::default()),
        serde_yaml::Value::Mapping(m) => m,
        _ => {
            return MetaState::Unusable(
                "expected a mapping of keys (schema, created, skip_specs)".into(),
            );
        }
    };
    let mut meta = Meta::default();
    for (k, v) in &map {
        let key = k.as_str().unwrap_or_default();
        match key {
            "schema" => match v.as_str() {
                Some(s) if schema_known(s, openspec_dir) => meta.schema = Some(s.to_string()),
                Some(s) => {
                    return MetaState::Unusable(format!(
                        "unknown schema \"{s}\"; use `schema: spec-driven` or add openspec/schemas/{s}/"
                    ));
                }
                None => {
                    return MetaState::Unusable(
                        "`schema` must be a string such as spec-driven".into(),
                    );
                }
            },
            "created" => {
                meta.created = v
                    .as_str()
                    .map(str::to_string)
                    .or_else(|| Some(format!("{v:?}")))
            }
            "skip_specs" => match v.as_bool() {
                Some(b) => meta.skip_specs = b,
                None => {
                    return MetaState::Unusable(
                        "`skip_specs` must be true or false (a YAML boolean, not a string)".into(),
                    );
                }
            },
            "retire_capabilities" => match v.as_sequence() {
                Some(seq) if seq.iter().all(|x| x.as_str().is_some()) => {
                    meta.retire_capabilities = seq
                        .iter()
                        .filter_map(|x| x.as_str().map(str::to_string))
                        .collect();
                }
                _ => {
                    return MetaState::Unusable(
                        "`retire_capabilities` must be a list of capability ids".into(),
                    );
                }
            },
            _ => {}
        }
    }
    MetaState::Ok(meta)
}

/// What a name given on the command line refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemKind {
    /// An active change.
    Change,
    /// A main spec.
    Spec,
}

impl Repo {
    /// Whether `name` is a change or a spec; `want` ("change"/"spec") decides
    /// when both exist. A name with `/` can only be a spec.
    ///
    /// Errors: [`SpecError::InvalidId`] for a name that leaves its directory
    /// ([`check_item_name`](super::check_item_name)); [`SpecError::NotFound`]
    /// when nothing (of the wanted type) has that name, or both do and
    /// `want` is `None`.
    pub fn resolve(&self, name: &str, want: Option<&str>) -> Result<ItemKind, SpecError> {
        super::check_item_name(name)?;
        let is_change = !name.contains('/') && self.change_exists(name);
        let is_spec = self.spec_exists(name);
        match (want, is_change, is_spec) {
            (Some("change"), true, _) | (None, true, false) => Ok(ItemKind::Change),
            (Some("spec"), _, true) | (None, false, true) => Ok(ItemKind::Spec),
            (None, true, true) => Err(SpecError::NotFound(format!(
                "\"{name}\" is both a change and a spec; pass --type change or --type spec"
            ))),
            (Some(t), _, _) => Err(SpecError::NotFound(format!(
                "no {t} \"{name}\"{}; run `openspec list{}` to see the ids",
                self.did_you_mean(name, t == "change", t == "spec"),
                if t == "spec" { " --specs" } else { "" }
            ))),
            (None, false, false) => Err(SpecError::NotFound(format!(
                "no change or spec \"{name}\"{}; run `openspec list` or `openspec list --specs` to see the ids",
                self.did_you_mean(name, true, true)
            ))),
        }
    }

    /// `; did you mean "x"?` naming the closest change or spec id (edit
    /// distance at most a third of the name, and at least 1 allowed), or "".
    pub fn did_you_mean(&self, name: &str, changes: bool, specs: bool) -> String {
        let mut ids: Vec<String> = Vec::new();
        if changes {
            ids.extend(self.change_ids(false).unwrap_or_default());
        }
        if specs {
            ids.extend(self.spec_ids().unwrap_or_default());
        }
        let limit = (name.chars().count() / 3).max(1);
        ids.iter()
            .map(|id| (edit_distance(name, id), id))
            .filter(|(d, _)| *d <= limit)
            .min()
            .map(|(_, id)| format!("; did you mean \"{id}\"?"))
            .unwrap_or_default()
    }

    /// How many directories under `changes/archive/` (hidden ones not
    /// counted; 0 when it cannot be listed).
    pub fn archived_count(&self) -> usize {
        std::fs::read_dir(self.archive_dir())
            .map(|it| {
                it.filter_map(Result::ok)
                    .filter(|e| {
                        e.path().is_dir() && !e.file_name().to_string_lossy().starts_with('.')
                    })
                    .count()
            })
            .unwrap_or(0)
    }
}

/// Levenshtein distance over characters.
pub(crate) fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != *cb))
                .min(prev[j + 1] + 1)
                .min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}
