//! Committed objects read in-process with gix: revisions, merge-bases, trees
//! and blobs, without starting a `git` process for each question (a process
//! costs 2–3 ms, a whole `impact --base B --head H` should cost less than ten
//! of them).
//!
//! Reading committed objects does not depend on what makes the user's git
//! differ from a library (attributes, sparse checkouts, hooks act on the
//! working tree), so the answers are the ones `git` gives. Every function
//! returns `None` when gix cannot answer (an unknown revision, a repository
//! format it does not read); the caller then asks the `git` binary, whose
//! error messages the user knows.
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use super::{TreeEntry, TreeEntryKind};

/// An opened repository and where `dir` lies in its work tree.
struct Opened {
    repo: gix::ThreadSafeRepository,
    /// `dir` relative to the top of the work tree, `/`-separated, "" at the top.
    prefix: String,
    /// Listings already made, by commit id: both sides of a change and the
    /// changed files come from the same trees.
    trees: Mutex<HashMap<gix::ObjectId, Arc<Vec<TreeEntry>>>>,
}

/// Object cache per repository: trees and commits visited twice (two sides
/// of a change share most trees) are decoded once.
const OBJECT_CACHE_BYTES: usize = 8 << 20;

fn open(dir: &Path) -> Option<Arc<Opened>> {
    static OPENED: OnceLock<Mutex<HashMap<PathBuf, Option<Arc<Opened>>>>> = OnceLock::new();
    let mut all = OPENED.get_or_init(Default::default).lock().ok()?;
    all.entry(dir.to_path_buf())
        .or_insert_with(|| {
            let repo = gix::ThreadSafeRepository::discover_with_environment_overrides(dir).ok()?;
            let top = std::fs::canonicalize(repo.work_dir()?).ok()?;
            let here = std::fs::canonicalize(dir).ok()?;
            let prefix = crate::flake::RepoPath::from_os(&top, &here)?.into_string();
            Some(Arc::new(Opened {
                repo,
                prefix,
                trees: Mutex::default(),
            }))
        })
        .clone()
}

fn local(opened: &Opened) -> gix::Repository {
    let mut repo = opened.repo.to_thread_local();
    repo.object_cache_size_if_unset(OBJECT_CACHE_BYTES);
    repo
}

fn commit_id(repo: &gix::Repository, rev: &str) -> Option<gix::ObjectId> {
    // A full id (as the sides of a change are named once resolved) is looked
    // up directly: as a revision it would also be tried as a prefix and a ref.
    if rev.len() == 40
        && let Ok(id) = gix::ObjectId::from_hex(rev.as_bytes())
        && let Ok(object) = repo.find_object(id)
    {
        return Some(object.peel_to_commit().ok()?.id);
    }
    let id = repo.rev_parse_single(rev).ok()?;
    Some(id.object().ok()?.peel_to_commit().ok()?.id)
}

/// The full commit id `rev` names.
pub(super) fn rev_parse(dir: &Path, rev: &str) -> Option<String> {
    let opened = open(dir)?;
    commit_id(&local(&opened), rev).map(|id| id.to_string())
}

/// The best common ancestor of two revisions; `Some(None)` when they share
/// no history.
pub(super) fn merge_base(dir: &Path, one: &str, two: &str) -> Option<Option<String>> {
    let opened = open(dir)?;
    let repo = local(&opened);
    let (a, b) = (commit_id(&repo, one)?, commit_id(&repo, two)?);
    let base = repo.merge_base(a, b);
    match base {
        Ok(found) => Some(found.map(|id| id.to_string())),
        Err(_) => None,
    }
}

/// Every entry of `rev`'s tree below the flake directory, recursively, as
/// `git ls-tree -r -t` lists it (paths relative to `dir`).
pub(super) fn ls_tree(dir: &Path, rev: &str) -> Option<Arc<Vec<TreeEntry>>> {
    let opened = open(dir)?;
    let repo = local(&opened);
    let commit = commit_id(&repo, rev)?;
    if let Some(done) = opened.trees.lock().ok()?.get(&commit) {
        return Some(done.clone());
    }
    let root = repo.find_commit(commit).ok()?.tree().ok()?;
    let tree = if opened.prefix.is_empty() {
        Some(root)
    } else {
        match root.lookup_entry_by_path(&opened.prefix).ok()? {
            Some(entry) if entry.mode().is_tree() => Some(entry.object().ok()?.into_tree()),
            // The flake directory is not in this revision: nothing below it.
            _ => None,
        }
    };
    let mut entries = vec![];
    if let Some(tree) = tree {
        let mut recorder = gix::traverse::tree::Recorder::default();
        tree.traverse().breadthfirst(&mut recorder).ok()?;
        entries = recorder
            .records
            .into_iter()
            .map(|e| TreeEntry {
                path: String::from_utf8_lossy(&e.filepath).into_owned(),
                kind: match e.mode.kind() {
                    gix::object::tree::EntryKind::Tree => TreeEntryKind::Dir,
                    gix::object::tree::EntryKind::Link => TreeEntryKind::Symlink,
                    gix::object::tree::EntryKind::Commit => TreeEntryKind::Submodule,
                    gix::object::tree::EntryKind::Blob
                    | gix::object::tree::EntryKind::BlobExecutable => TreeEntryKind::File,
                },
                executable: e.mode.is_executable(),
                oid: e.oid.to_string(),
            })
            .collect();
    }
    let entries = Arc::new(entries);
    opened.trees.lock().ok()?.insert(commit, entries.clone());
    Some(entries)
}

/// The contents of the blobs `oids`, in order. Files are read one at a
/// time as the analysis reaches them, on every worker: each thread keeps
/// its own handle on the repository (and its object cache) for all of them.
pub(super) fn read_blobs(dir: &Path, oids: &[String]) -> Option<Vec<Vec<u8>>> {
    let opened = open(dir)?;
    with_local(&opened, |repo| {
        oids.iter()
            .map(|oid| {
                let id = gix::ObjectId::from_hex(oid.as_bytes()).ok()?;
                let object = repo.find_object(id).ok()?;
                (object.kind == gix::object::Kind::Blob).then(|| object.detach().data)
            })
            .collect()
    })
}

/// `f` with this thread's handle on `opened`, made on first use. Opened
/// repositories live as long as the process, so their address names them.
fn with_local<R>(opened: &Arc<Opened>, f: impl FnOnce(&gix::Repository) -> R) -> R {
    use std::cell::RefCell;
    use std::rc::Rc;
    thread_local! {
        static LOCAL: RefCell<Vec<(usize, Rc<gix::Repository>)>> = const { RefCell::new(Vec::new()) };
    }
    let key = Arc::as_ptr(opened) as usize;
    let repo = LOCAL.with(|l| {
        let mut l = l.borrow_mut();
        match l.iter().find(|(k, _)| *k == key) {
            Some((_, r)) => r.clone(),
            None => {
                let r = Rc::new(local(opened));
                l.push((key, r.clone()));
                r
            }
        }
    });
    f(&repo)
}

/// Whether the clone is shallow.
pub(super) fn is_shallow(dir: &Path) -> Option<bool> {
    let opened = open(dir)?;
    local(&opened).is_shallow().ok()
}
