//! Where OpenSpec items live under `openspec/`, and loading them whole:
//! every file problem becomes part of the loaded item, never a crash.
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use super::SpecError;
use super::doc::Doc;
use super::parse::{DeltaSpec, MainSpec, Proposal, Tasks};
use super::parse::{parse_delta, parse_main_spec, parse_proposal, parse_tasks};

/// A file that could not be used, with the fix in the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadProblem {
    pub message: String,
    pub line: Option<usize>,
}

/// Read and decode a markdown file; `Ok(None)` when it does not exist.
pub fn read_doc(path: &Path) -> Result<Option<Doc>, ReadProblem> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(ReadProblem {
                message: format!("cannot read the file ({e}); make it a readable regular file"),
                line: None,
            });
        }
    };
    Doc::from_bytes(&bytes).map(Some).map_err(|e| ReadProblem {
        message: format!(
            "not valid UTF-8 (line {}); re-save the file as UTF-8",
            e.line
        ),
        line: Some(e.line),
    })
}

#[derive(Debug, Clone)]
pub struct Repo {
    /// The repository root (`--root`).
    pub root: PathBuf,
    /// `<root>/openspec`.
    pub dir: PathBuf,
}

#[derive(Debug, Clone)]
pub struct LoadedSpec {
    pub id: String,
    pub path: PathBuf,
    pub rel: String,
    pub doc: Result<Doc, ReadProblem>,
    pub spec: MainSpec,
}

#[derive(Debug, Clone)]
pub struct DeltaFile {
    /// The capability id (`area/cap` when nested).
    pub capability: String,
    pub path: PathBuf,
    pub rel: String,
    pub doc: Result<Doc, ReadProblem>,
    pub delta: DeltaSpec,
}

/// `.openspec.yaml` of a change (OpenSpec 1.x metadata).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Meta {
    pub schema: Option<String>,
    pub created: Option<String>,
    pub skip_specs: bool,
    pub retire_capabilities: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MetaState {
    Absent,
    Ok(Meta),
    Unusable(String),
}

#[derive(Debug, Clone)]
pub struct Change {
    pub id: String,
    pub dir: PathBuf,
    pub rel: String,
    pub proposal: Option<Result<Proposal, ReadProblem>>,
    pub tasks: Option<Result<Tasks, ReadProblem>>,
    pub meta: MetaState,
    pub deltas: Vec<DeltaFile>,
    /// `changes/<id>/specs/spec.md`, which belongs one level deeper.
    pub root_spec: Option<String>,
    /// Every file under `changes/<id>/specs/` (relative to the root).
    pub spec_files: Vec<String>,
    /// `changes/<id>/spec.md`: not a delta (OpenSpec ignores it).
    pub change_root_spec: Option<String>,
}

impl Change {
    /// The newest modification time of any file in the change (walks the directory).
    pub fn last_modified(&self) -> Option<SystemTime> {
        last_modified(&self.dir)
    }

    pub fn task_counts(&self) -> (usize, usize) {
        match &self.tasks {
            Some(Ok(t)) => (t.done, t.total),
            _ => (0, 0),
        }
    }
}

impl Repo {
    pub fn new(root: &Path) -> Repo {
        Repo {
            root: root.to_path_buf(),
            dir: root.join("openspec"),
        }
    }

    /// The repository, or an environment error when `openspec/` is missing.
    pub fn open(root: &Path) -> Result<Repo, SpecError> {
        let repo = Repo::new(root);
        if repo.dir.is_dir() {
            Ok(repo)
        } else {
            Err(SpecError::NoOpenspecDir(root.display().to_string()))
        }
    }

    pub fn changes_dir(&self) -> PathBuf {
        self.dir.join("changes")
    }
    pub fn archive_dir(&self) -> PathBuf {
        self.changes_dir().join("archive")
    }
    pub fn specs_dir(&self) -> PathBuf {
        self.dir.join("specs")
    }
    pub fn spec_path(&self, id: &str) -> PathBuf {
        self.specs_dir().join(id).join("spec.md")
    }

    /// `path` relative to the root with `/` separators.
    pub fn rel(&self, path: &Path) -> String {
        let p = path.strip_prefix(&self.root).unwrap_or(path);
        p.components()
            .map(|c| c.as_os_str().to_string_lossy())
            .collect::<Vec<_>>()
            .join("/")
    }

    /// Active changes: non-hidden directories under `changes/` except `archive`
    /// (legacy: only those holding a proposal.md), sorted.
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

    /// Main specs: every `spec.md` below `specs/`, id = its directory path.
    pub fn spec_ids(&self) -> Result<Vec<String>, SpecError> {
        let dir = self.specs_dir();
        if !dir.is_dir() {
            return Ok(Vec::new());
        }
        spec_files_under(&dir)
            .map_err(|e| self.io_error(&dir, e))
            .map(|files| files.into_iter().filter(|c| !c.is_empty()).collect())
    }

    pub fn change_exists(&self, id: &str) -> bool {
        id != "archive" && !id.starts_with('.') && self.changes_dir().join(id).is_dir()
    }

    pub fn spec_exists(&self, id: &str) -> bool {
        self.spec_path(id).exists()
    }

    pub fn load_spec(&self, id: &str) -> LoadedSpec {
        let path = self.spec_path(id);
        let doc = match read_doc(&path) {
            Ok(Some(d)) => Ok(d),
            Ok(None) => Err(ReadProblem {
                message: "the file does not exist".into(),
                line: None,
            }),
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

    pub fn load_change(&self, id: &str) -> Change {
        self.load_change_at(id, &self.changes_dir().join(id))
    }

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
        }
    }

    fn rel_components(&self, p: &Path) -> String {
        p.components()
            .map(|c| c.as_os_str().to_string_lossy())
            .collect::<Vec<_>>()
            .join("/")
    }

    fn io_error(&self, path: &Path, e: std::io::Error) -> SpecError {
        SpecError::Io {
            path: self.rel(path),
            message: format!("cannot read the directory ({e})"),
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
            let id = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy())
                .collect::<Vec<_>>()
                .join("/");
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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemKind {
    Change,
    Spec,
}

impl Repo {
    /// Whether `name` is a change or a spec; `want` ("change"/"spec") decides
    /// when both exist.
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
                "no {t} \"{name}\"; run `openspec list{}` to see the ids",
                if t == "spec" { " --specs" } else { "" }
            ))),
            (None, false, false) => Err(SpecError::NotFound(format!(
                "no change or spec \"{name}\"; run `openspec list` or `openspec list --specs` to see the ids"
            ))),
        }
    }

    /// Directories under `changes/archive/`.
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
