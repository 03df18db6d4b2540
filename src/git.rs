//! Git as the source of revisions: base/head, changed files, temporary worktrees.
//! We call the `git` binary rather than a library so that what we see is
//! exactly what the user's git sees (config, attributes, sparse checkouts).
use std::path::{Path, PathBuf};
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

/// The top directory of the work tree holding `dir`.
pub fn toplevel(dir: &Path) -> Result<PathBuf, GitError> {
    Ok(PathBuf::from(
        git(dir, &["rev-parse", "--show-toplevel"])?.trim(),
    ))
}

/// The full commit id of `rev`.
pub fn rev_parse(dir: &Path, rev: &str) -> Result<String, GitError> {
    let spec = format!("{rev}^{{commit}}");
    Ok(git(dir, &["rev-parse", "--verify", "--quiet", &spec])
        .map_err(|e| match e {
            GitError::Failed { dir, args, .. } => GitError::Failed {
                dir,
                args,
                stderr: format!("unknown revision {rev:?}; pass an existing commit, branch or tag"),
            },
            other => other,
        })?
        .trim()
        .to_string())
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
        files.extend(split_z(&git(
            dir,
            &[
                "ls-files",
                "--others",
                "--exclude-standard",
                "-z",
                "--",
                ".",
            ],
        )?));
    }
    files.sort();
    files.dedup();
    Ok(files)
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
