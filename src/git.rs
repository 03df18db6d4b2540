//! Git as the source of revisions: base/head, changed files, temporary worktrees.
//! What involves the working tree or the index (diffs against the working
//! tree, untracked files, worktrees) is asked of the `git` binary, so that
//! what we see is exactly what the user's git sees (config, attributes,
//! sparse checkouts). Committed objects (revisions, trees, blobs) are read
//! in-process ([`objects`]), falling back to the binary when that cannot
//! answer.
use std::path::{Path, PathBuf};

mod objects;
use std::process::Command;

#[derive(Debug, thiserror::Error)]
pub enum GitError {
    #[error("git is not installed or not on PATH ({0}); install git or pass --files")]
    Missing(#[source] std::io::Error),
    #[error("{dir}: not inside a git repository; run `git init` or pass --files")]
    NotARepo { dir: PathBuf },
    #[error("`git {args}` failed in {dir}: {stderr}")]
    Failed {
        args: String,
        dir: PathBuf,
        stderr: String,
    },
    #[error("`git {args}` failed in {dir}: {source}")]
    Io {
        args: String,
        dir: PathBuf,
        source: std::io::Error,
    },
    #[error("no default branch to compare with (tried origin/HEAD, main, master); pass --base REV")]
    NoDefaultBranch,
    /// The two revisions share no history this clone holds.
    #[error("{base} and {head} have no common ancestor in this clone{}", if *.shallow { "; it is shallow: fetch the history with `git fetch --unshallow` (or `git fetch --deepen=N`)" } else { "; pass a base on the same history" })]
    NoMergeBase {
        /// The base asked for.
        base: String,
        /// The head asked for (`HEAD` for the working tree).
        head: String,
        /// The clone is shallow, so the common ancestor may just be missing.
        shallow: bool,
    },
}

fn git(dir: &Path, args: &[&str]) -> Result<String, GitError> {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .env("GIT_OPTIONAL_LOCKS", "0")
        .output()
        .map_err(GitError::Missing)?;
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr).trim().to_string();
        if stderr.contains("not a git repository") {
            return Err(GitError::NotARepo {
                dir: dir.to_path_buf(),
            });
        }
        return Err(GitError::Failed {
            args: args.join(" "),
            dir: dir.to_path_buf(),
            stderr,
        });
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// A ref whose history holds commit `rev`: `HEAD` when `rev` is an
/// ancestor of it, else the first branch (then tag, then any other ref) that
/// contains it; None when no ref does. Errors: git missing, `dir` not in a
/// repository.
pub fn ref_containing(dir: &Path, rev: &str) -> Result<Option<String>, GitError> {
    if git(dir, &["merge-base", "--is-ancestor", rev, "HEAD"]).is_ok() {
        return Ok(Some("HEAD".into()));
    }
    let refs = git(
        dir,
        &["for-each-ref", "--contains", rev, "--format=%(refname)"],
    )?;
    let mut refs: Vec<&str> = refs.lines().filter(|l| !l.is_empty()).collect();
    refs.sort_by_key(|r| (!r.starts_with("refs/heads/"), !r.starts_with("refs/tags/")));
    Ok(refs.first().map(|r| r.to_string()))
}

/// The top directory of the work tree holding `dir`.
pub fn toplevel(dir: &Path) -> Result<PathBuf, GitError> {
    Ok(PathBuf::from(
        git(dir, &["rev-parse", "--show-toplevel"])?.trim(),
    ))
}

/// Whether `rev` is already a full commit id (40 or 64 hex digits), as the
/// ids this module returns are: resolving it again would only cost a process.
fn is_full_id(rev: &str) -> bool {
    matches!(rev.len(), 40 | 64) && rev.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The full commit id of `rev`.
pub fn rev_parse(dir: &Path, rev: &str) -> Result<String, GitError> {
    if let Some(id) = objects::rev_parse(dir, rev) {
        return Ok(id);
    }
    let spec = format!("{rev}^{{commit}}");
    Ok(git(dir, &["rev-parse", "--verify", "--quiet", &spec])
        .map_err(|e| match e {
            GitError::Failed { dir, args, .. } => {
                let shallow = git(&dir, &["rev-parse", "--is-shallow-repository"])
                    .is_ok_and(|s| s.trim() == "true");
                let hint = if shallow {
                    format!(
                        "; this clone is shallow: fetch it with `git fetch origin {rev}` or `git fetch --unshallow`"
                    )
                } else {
                    "; pass an existing commit, branch or tag".to_string()
                };
                GitError::Failed {
                    dir,
                    args,
                    stderr: format!("unknown revision {rev:?}{hint}"),
                }
            }
            other => other,
        })?
        .trim()
        .to_string())
}

/// The commit a pull request from `head` (default: `HEAD`) into `base` is
/// compared with: their merge-base. Commits that landed on `base` after the
/// branch point are not the branch's changes.
///
/// Errors: an unknown revision; [`GitError::NoMergeBase`] when the two share
/// no history in this clone (saying so when the clone is shallow).
pub fn merge_base(dir: &Path, base: &str, head: Option<&str>) -> Result<String, GitError> {
    let resolve = |r: &str| {
        if is_full_id(r) {
            Ok(r.to_string())
        } else {
            rev_parse(dir, r)
        }
    };
    let b = resolve(base)?;
    let h = resolve(head.unwrap_or("HEAD"))?;
    let found = match objects::merge_base(dir, &b, &h) {
        Some(Some(id)) => Ok(id),
        Some(None) => Err(GitError::Failed {
            args: "merge-base".into(),
            dir: dir.to_path_buf(),
            stderr: String::new(),
        }),
        None => git(dir, &["merge-base", &b, &h]).map(|out| out.trim().to_string()),
    };
    match found {
        Ok(id) => Ok(id),
        Err(GitError::Failed { .. }) => Err(GitError::NoMergeBase {
            base: base.to_string(),
            head: head.unwrap_or("HEAD").to_string(),
            shallow: objects::is_shallow(dir).unwrap_or_else(|| {
                git(dir, &["rev-parse", "--is-shallow-repository"])
                    .is_ok_and(|s| s.trim() == "true")
            }),
        }),
        Err(e) => Err(e),
    }
}

/// The merge-base of HEAD with the default branch (origin/HEAD, else main, else master).
pub fn default_base(dir: &Path) -> Result<String, GitError> {
    for candidate in ["origin/HEAD", "main", "master"] {
        if rev_parse(dir, candidate).is_ok() {
            let base = git(dir, &["merge-base", "HEAD", candidate])?;
            return Ok(base.trim().to_string());
        }
    }
    Err(GitError::NoDefaultBranch)
}

/// Files changed between `base` and `head` (a revision), or between `base` and
/// the working tree including untracked, not ignored files when `head` is None.
/// Paths are relative to `dir` (which may be below the top level), `/`-separated;
/// files outside `dir` are left out.
pub fn changed_files(dir: &Path, base: &str, head: Option<&str>) -> Result<Vec<String>, GitError> {
    if let Some(h) = head {
        return Ok(tree_diff(&ls_tree(dir, base)?, &ls_tree(dir, h)?));
    }
    let mut args = vec![
        "diff",
        "--name-only",
        "--no-renames",
        "-z",
        "--relative",
        base,
    ];
    if let Some(h) = head {
        args.push(h);
    }
    args.push("--");
    args.push(".");
    let mut files: Vec<String> = split_z(&git(dir, &args)?);
    if head.is_none() {
        files.extend(untracked(dir)?);
    }
    files.sort();
    files.dedup();
    Ok(files)
}

/// The paths whose content, kind or executable bit differ between two
/// listings, as `git diff --name-only --no-renames` names them: a file
/// replaced by a directory shows as the file and the directory's files.
fn tree_diff(base: &[TreeEntry], head: &[TreeEntry]) -> Vec<String> {
    use std::collections::BTreeMap;
    let leaves = |entries: &[TreeEntry]| -> BTreeMap<String, (TreeEntryKind, bool, String)> {
        entries
            .iter()
            .filter(|e| e.kind != TreeEntryKind::Dir)
            .map(|e| (e.path.clone(), (e.kind, e.executable, e.oid.clone())))
            .collect()
    };
    let (old, new) = (leaves(base), leaves(head));
    let mut changed: Vec<String> = old
        .iter()
        .filter(|(p, v)| new.get(*p) != Some(v))
        .map(|(p, _)| p.clone())
        .chain(new.keys().filter(|p| !old.contains_key(*p)).cloned())
        .collect();
    changed.sort();
    changed.dedup();
    changed
}

/// Tracked files below `dir`, relative to it.
pub fn ls_files(dir: &Path) -> Result<Vec<String>, GitError> {
    Ok(split_z(&git(dir, &["ls-files", "-z", "--", "."])?))
}

fn split_z(s: &str) -> Vec<String> {
    s.split('\0')
        .filter(|p| !p.is_empty())
        .map(str::to_string)
        .collect()
}

/// A detached worktree of `rev` in a temporary directory, removed on drop.
pub struct Worktree {
    repo: PathBuf,
    dir: tempfile::TempDir,
}

impl Worktree {
    pub fn add(repo: &Path, rev: &str) -> Result<Self, GitError> {
        let dir = tempfile::Builder::new()
            .prefix("openspec-worktree-")
            .tempdir()
            .map_err(|source| GitError::Io {
                args: "worktree add".into(),
                dir: repo.to_path_buf(),
                source,
            })?;
        let path = dir.path().to_string_lossy().into_owned();
        git(
            repo,
            &["worktree", "add", "--detach", "--force", &path, rev],
        )?;
        Ok(Worktree {
            repo: repo.to_path_buf(),
            dir,
        })
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for Worktree {
    fn drop(&mut self) {
        let path = self.dir.path().to_string_lossy().into_owned();
        let _ = git(&self.repo, &["worktree", "remove", "--force", &path]);
        let _ = git(&self.repo, &["worktree", "prune"]);
    }
}

/// The content of `path` (relative to `dir`) at `rev`; `None` when it does not exist there.
pub fn show_file(dir: &Path, rev: &str, path: &str) -> Result<Option<String>, GitError> {
    if let Some(entries) = objects::ls_tree(dir, rev) {
        let Some(entry) = entries
            .iter()
            .find(|e| e.path == path && e.kind != TreeEntryKind::Dir)
        else {
            return Ok(None);
        };
        if let Some(mut blob) = objects::read_blobs(dir, std::slice::from_ref(&entry.oid)) {
            return Ok(blob.pop().map(|b| String::from_utf8_lossy(&b).into_owned()));
        }
    }
    let spec = format!("{rev}:./{path}");
    match git(dir, &["show", &spec]) {
        Ok(s) => Ok(Some(s)),
        Err(GitError::Failed { stderr, .. })
            if stderr.contains("does not exist")
                || stderr.contains("exists on disk, but not in") =>
        {
            Ok(None)
        }
        Err(e) => Err(e),
    }
}

/// One entry of a revision's tree (`git ls-tree`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreeEntry {
    /// Relative to the directory listed, `/`-separated.
    pub path: String,
    /// What the entry is.
    pub kind: TreeEntryKind,
    /// The object id (hex).
    pub oid: String,
    /// A file with mode 100755.
    pub executable: bool,
}

/// The kind of a tree entry, from its git mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TreeEntryKind {
    /// A file (mode 100644 or 100755).
    File,
    /// A symbolic link (mode 120000); its blob is the link's target.
    Symlink,
    /// A directory (mode 040000).
    Dir,
    /// A submodule (mode 160000): a directory whose content is not in this repository.
    Submodule,
}

/// Every entry (files, links, directories, submodules) of `rev`'s tree below
/// `dir`, recursively, paths relative to `dir`. Nothing is checked out.
///
/// Errors: an unknown revision, or `dir` outside a repository.
pub fn ls_tree(dir: &Path, rev: &str) -> Result<Vec<TreeEntry>, GitError> {
    if let Some(entries) = objects::ls_tree(dir, rev) {
        return Ok(entries.as_ref().clone());
    }
    let commit = if is_full_id(rev) {
        rev.to_string()
    } else {
        rev_parse(dir, rev)?
    };
    let out = git(dir, &["ls-tree", "-r", "-t", "-z", &commit])?;
    Ok(out
        .split('\0')
        .filter_map(|line| {
            let (meta, path) = line.split_once('\t')?;
            // Run below the top level, `-t` also shows the trees leading to
            // the directory itself (`./`, `../`); they are not below it.
            if path == "./" || path == "." || path.starts_with("../") {
                return None;
            }
            let mut parts = meta.split(' ');
            let mode = parts.next()?;
            let _type = parts.next()?;
            let oid = parts.next()?.to_string();
            let kind = match mode {
                "120000" => TreeEntryKind::Symlink,
                "040000" => TreeEntryKind::Dir,
                "160000" => TreeEntryKind::Submodule,
                _ => TreeEntryKind::File,
            };
            Some(TreeEntry {
                path: path.to_string(),
                kind,
                oid,
                executable: mode == "100755",
            })
        })
        .collect())
}

/// The contents of the blobs `oids`, in order, read through one
/// `git cat-file --batch` process (a few microseconds a blob). A missing
/// object is an error.
pub fn read_blobs(dir: &Path, oids: &[String]) -> Result<Vec<Vec<u8>>, GitError> {
    use std::io::{BufRead, BufReader, Read, Write};
    use std::process::Stdio;
    if oids.is_empty() {
        return Ok(vec![]);
    }
    if let Some(blobs) = objects::read_blobs(dir, oids) {
        return Ok(blobs);
    }
    let failed = |stderr: String| GitError::Failed {
        args: "cat-file --batch".into(),
        dir: dir.to_path_buf(),
        stderr,
    };
    let mut child = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["cat-file", "--batch"])
        .env("GIT_OPTIONAL_LOCKS", "0")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(GitError::Missing)?;
    let (Some(mut stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
        return Err(failed("no pipes to git cat-file".into()));
    };
    // Requests are written from another thread: git answers while it reads,
    // and a full output pipe would otherwise stop both sides.
    let request: String = oids.iter().map(|o| format!("{o}\n")).collect();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(request.as_bytes());
    });
    let mut reader = BufReader::new(stdout);
    let mut out = Vec::with_capacity(oids.len());
    let mut header = String::new();
    for oid in oids {
        header.clear();
        reader
            .read_line(&mut header)
            .map_err(|e| failed(e.to_string()))?;
        let mut fields = header.split_whitespace();
        let (Some(_), Some(kind), Some(size)) = (fields.next(), fields.next(), fields.next())
        else {
            let _ = child.kill();
            return Err(failed(format!(
                "object {oid} is missing from the repository"
            )));
        };
        let size: usize = size
            .parse()
            .map_err(|_| failed(format!("bad answer for {oid}: {header}")))?;
        let mut body = vec![0; size + 1];
        reader
            .read_exact(&mut body)
            .map_err(|e| failed(e.to_string()))?;
        body.pop();
        if kind != "blob" {
            return Err(failed(format!("{oid} is a {kind}, not a file")));
        }
        out.push(body);
    }
    let _ = writer.join();
    let _ = child.wait();
    Ok(out)
}

/// Which of `paths` (relative to `dir`) any commit reachable from HEAD
/// touched: paths that are gone now but were there once. One git call.
pub fn in_history(dir: &Path, paths: &[String]) -> std::collections::BTreeSet<String> {
    if paths.is_empty() {
        return Default::default();
    }
    let mut args = vec!["log", "--format=", "--name-only", "--relative", "-z", "--"];
    args.extend(paths.iter().map(String::as_str));
    let touched: std::collections::BTreeSet<String> = git(dir, &args)
        .map(|out| {
            split_z(&out)
                .into_iter()
                .map(|p| p.trim().to_string())
                .collect()
        })
        .unwrap_or_default();
    paths
        .iter()
        .filter(|p| {
            touched
                .iter()
                .any(|t| t == *p || t.starts_with(&format!("{p}/")))
        })
        .cloned()
        .collect()
}

/// Files below `dir` that git does not track and does not ignore, relative
/// to `dir`.
pub fn untracked(dir: &Path) -> Result<Vec<String>, GitError> {
    let args = [
        "ls-files",
        "--others",
        "--exclude-standard",
        "-z",
        "--",
        ".",
    ];
    Ok(split_z(&git(dir, &args)?))
}

/// git's `user.name` as seen from `dir`; `None` when unset or without git.
pub fn user_name(dir: &Path) -> Option<String> {
    git(dir, &["config", "user.name"])
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

/// The object id git gives `bytes` as a blob (`git hash-object --stdin`:
/// SHA-1, or SHA-256 in a repository that uses it); needs no repository.
pub fn hash_object(dir: &Path, bytes: &[u8]) -> Result<String, GitError> {
    use std::io::Write;
    let args = "hash-object --stdin";
    let io = |source| GitError::Io {
        args: args.into(),
        dir: dir.to_path_buf(),
        source,
    };
    let mut child = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["hash-object", "--stdin"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .map_err(GitError::Missing)?;
    // A writer thread: git reads all of stdin before it answers, and a pipe
    // holds only 64 KiB.
    let mut stdin = child.stdin.take();
    let data = bytes.to_vec();
    let writer = std::thread::spawn(move || stdin.as_mut().map(|s| s.write_all(&data)));
    let out = child.wait_with_output().map_err(io)?;
    if let Ok(Some(Err(e))) = writer.join() {
        return Err(io(e));
    }
    if !out.status.success() {
        return Err(GitError::Failed {
            args: args.into(),
            dir: dir.to_path_buf(),
            stderr: String::from_utf8_lossy(&out.stderr).trim().to_string(),
        });
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}
