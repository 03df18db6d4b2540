//! A throw-away git copy of the example flake, real Nix calls against it, and
//! the probes (edit one tracked file, or add one new file) applied to it.
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use tempfile::TempDir;
use walkdir::WalkDir;

/// Nix settings of their own for every Nix process: offline, no sandbox, no registry.
pub const NIX_CONFIG: &str = "experimental-features = nix-command flakes\n\
sandbox = false\n\
build-users-group =\n\
substituters =\n\
flake-registry =";

/// A tracked file, changed in the working tree before the first evaluation,
/// so every evaluation (baseline and probes alike) sees a dirty tree: a host
/// that reads `self.shortRev or "dirty"` then only changes when its inputs do.
const DIRTY_MARKER: &str = ".oracle-dirty";

pub struct Repo {
    _dir: TempDir,
    pub root: PathBuf,
}

impl Repo {
    /// Copies `src` into a new temporary git repository with one commit.
    pub fn copy_of(src: &Path) -> Repo {
        let dir = tempfile::tempdir().expect("temporary directory");
        let root = dir.path().join("flake");
        for entry in WalkDir::new(src) {
            let entry = entry.expect("walk the fixture");
            let rel = entry
                .path()
                .strip_prefix(src)
                .expect("path below the fixture");
            let dst = root.join(rel);
            if entry.file_type().is_dir() {
                std::fs::create_dir_all(&dst).expect("create directory");
            } else {
                std::fs::copy(entry.path(), &dst).expect("copy fixture file");
            }
        }
        let repo = Repo { _dir: dir, root };
        std::fs::write(repo.root.join(DIRTY_MARKER), "committed\n").expect("write marker");
        repo.git(&["init", "-q"]);
        repo.git(&["add", "-A"]);
        repo.git(&["commit", "-q", "-m", "example flake"]);
        std::fs::write(repo.root.join(DIRTY_MARKER), "dirty\n").expect("write marker");
        repo.git(&["add", "-A"]);
        repo
    }

    pub fn git(&self, args: &[&str]) -> Vec<u8> {
        let out = Command::new("git")
            .args(args)
            .current_dir(&self.root)
            .env("GIT_AUTHOR_NAME", "openspec test")
            .env("GIT_AUTHOR_EMAIL", "test@openspec.invalid")
            .env("GIT_COMMITTER_NAME", "openspec test")
            .env("GIT_COMMITTER_EMAIL", "test@openspec.invalid")
            .output()
            .expect("run git");
        assert!(
            out.status.success(),
            "git {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    }

    /// Tracked files, repository-relative, without the dirty marker.
    pub fn tracked_files(&self) -> Vec<String> {
        let out = self.git(&["ls-files", "-z"]);
        let mut files: Vec<String> = out
            .split(|b| *b == 0)
            .filter(|s| !s.is_empty())
            .map(|s| String::from_utf8_lossy(s).into_owned())
            .filter(|f| f != DIRTY_MARKER)
            .collect();
        files.sort();
        files
    }

    fn nix(&self, args: &[&str]) -> Output {
        Command::new("nix")
            .args(args)
            .current_dir(&self.root)
            .env("NIX_CONFIG", NIX_CONFIG)
            .output()
            .expect("run nix")
    }

    fn flake_attr(&self, attr: &str) -> String {
        format!("{}#{attr}", self.root.display())
    }

    pub fn host_names(&self) -> Vec<String> {
        let out = self.nix(&[
            "eval",
            "--json",
            &self.flake_attr("nixosConfigurations"),
            "--apply",
            "builtins.attrNames",
        ]);
        assert!(
            out.status.success(),
            "listing hosts failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).expect("host names as JSON")
    }

    /// Every host's toplevel drvPath, `Err(message)` for a host that fails to evaluate.
    pub fn drv_paths(&self, hosts: &[String]) -> BTreeMap<String, Result<String, String>> {
        let out = self.nix(&[
            "eval",
            "--json",
            &self.flake_attr("nixosConfigurations"),
            "--apply",
            "cs: builtins.mapAttrs (n: c: c.config.system.build.toplevel.drvPath) cs",
        ]);
        if out.status.success()
            && let Ok(all) = serde_json::from_slice::<BTreeMap<String, String>>(&out.stdout)
        {
            return hosts
                .iter()
                .map(|h| {
                    (
                        h.clone(),
                        all.get(h).cloned().ok_or_else(|| "missing".to_string()),
                    )
                })
                .collect();
        }
        // One host failed: evaluate them one by one to know which.
        hosts
            .iter()
            .map(|h| (h.clone(), self.drv_path(h)))
            .collect()
    }

    pub fn drv_path(&self, host: &str) -> Result<String, String> {
        let attr = format!("nixosConfigurations.\"{host}\".config.system.build.toplevel.drvPath");
        let out = self.nix(&["eval", "--raw", &self.flake_attr(&attr)]);
        if out.status.success() {
            Ok(String::from_utf8_lossy(&out.stdout).into_owned())
        } else {
            Err(String::from_utf8_lossy(&out.stderr).into_owned())
        }
    }

    /// The `-vvvvv` trace of evaluating one host: stderr of `nix eval`.
    pub fn eval_trace(&self, host: &str) -> String {
        let attr = format!("nixosConfigurations.\"{host}\".config.system.build.toplevel.drvPath");
        let out = self.nix(&["eval", "--raw", &self.flake_attr(&attr), "-vvvvv"]);
        assert!(
            out.status.success(),
            "evaluating {host} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stderr).into_owned()
    }

    /// Builds every host's toplevel; the output paths.
    pub fn build_all(&self, hosts: &[String]) -> Result<Vec<String>, String> {
        let attrs: Vec<String> = hosts
            .iter()
            .map(|h| {
                self.flake_attr(&format!(
                    "nixosConfigurations.\"{h}\".config.system.build.toplevel"
                ))
            })
            .collect();
        let mut args = vec!["build", "--json", "--no-link"];
        args.extend(attrs.iter().map(String::as_str));
        let out = self.nix(&args);
        if !out.status.success() {
            return Err(String::from_utf8_lossy(&out.stderr).into_owned());
        }
        let built: Vec<serde_json::Value> =
            serde_json::from_slice(&out.stdout).map_err(|e| e.to_string())?;
        Ok(built
            .iter()
            .filter_map(|b| b["outputs"]["out"].as_str().map(str::to_string))
            .collect())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ProbeKind {
    /// Change the bytes of a tracked file.
    Edit,
    /// Create a file that did not exist (then `git add` it, as Nix only sees tracked files).
    Add,
    /// Insert a line inside the `mkIf cfg.enable { … }` body of a gated module
    /// (only the gated definitions move): the edit `--precise` is about.
    GateBody,
}

/// The line that opens a gate in the fixture's gated modules.
pub const GATE_MARKER: &str = "mkIf cfg.enable {";

/// One change to the repository whose effect on every host is measured.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Probe {
    pub kind: ProbeKind,
    /// Repository-relative path of the edited or added file.
    pub path: String,
}

/// Files whose creation changes a host although no directory probe names them:
/// the fixture guards them with `pathExists` (see tests/fixtures/example).
pub const EXTRA_CREATES: &[&str] = &[
    "hosts/yoga/local.nix",
    "modules/environment/motd/zephyrus.txt",
    "modules/environment/motd/ovh-vps.txt",
];

/// Name of the file a directory probe adds.
pub const ADDED_NAME: &str = "openspec-probe.nix";

impl Probe {
    /// Every tracked file edited, a new file added to every directory, and the extra creations.
    pub fn all(root: &Path, tracked: &[String]) -> Vec<Probe> {
        let mut probes: Vec<Probe> = tracked
            .iter()
            .map(|f| Probe {
                kind: ProbeKind::Edit,
                path: f.clone(),
            })
            .collect();
        let mut dirs = std::collections::BTreeSet::new();
        for f in tracked {
            let mut p = Path::new(f);
            while let Some(parent) = p.parent() {
                dirs.insert(parent.to_string_lossy().into_owned());
                p = parent;
            }
        }
        for d in dirs {
            let path = if d.is_empty() {
                ADDED_NAME.to_string()
            } else {
                format!("{d}/{ADDED_NAME}")
            };
            probes.push(Probe {
                kind: ProbeKind::Add,
                path,
            });
        }
        // Only where the fixture has the folder (they belong to the example flake).
        for f in EXTRA_CREATES
            .iter()
            .filter(|f| Path::new(f).parent().is_some_and(|d| root.join(d).is_dir()))
        {
            probes.push(Probe {
                kind: ProbeKind::Add,
                path: (*f).to_string(),
            });
        }
        for f in tracked.iter().filter(|f| f.ends_with(".nix")) {
            let text = std::fs::read_to_string(root.join(f)).unwrap_or_default();
            if text.contains(GATE_MARKER) {
                probes.push(Probe {
                    kind: ProbeKind::GateBody,
                    path: f.clone(),
                });
            }
        }
        probes
    }

    /// Applies the probe; the returned guard puts the repository back when dropped.
    pub fn apply<'r>(&self, repo: &'r Repo) -> Applied<'r> {
        let file = repo.root.join(&self.path);
        let original = match self.kind {
            ProbeKind::Edit => {
                let bytes = std::fs::read(&file).expect("read probed file");
                std::fs::write(&file, edited(&self.path, &bytes)).expect("write probed file");
                Some(bytes)
            }
            ProbeKind::GateBody => {
                let bytes = std::fs::read(&file).expect("read probed file");
                let text = String::from_utf8_lossy(&bytes);
                let at = text.find(GATE_MARKER).expect("a gated module") + GATE_MARKER.len();
                let edited = format!(
                    "{}\n    # openspec probe: inside the gate{}",
                    &text[..at],
                    &text[at..]
                );
                std::fs::write(&file, edited).expect("write probed file");
                Some(bytes)
            }
            ProbeKind::Add => {
                assert!(!file.exists(), "probe {} would overwrite a file", self.path);
                std::fs::write(&file, added(&self.path)).expect("write added file");
                None
            }
        };
        repo.git(&["add", "-A"]);
        Applied {
            repo,
            file,
            original,
        }
    }
}

pub struct Applied<'r> {
    repo: &'r Repo,
    file: PathBuf,
    original: Option<Vec<u8>>,
}

impl Drop for Applied<'_> {
    fn drop(&mut self) {
        match &self.original {
            Some(bytes) => std::fs::write(&self.file, bytes).expect("restore probed file"),
            None => std::fs::remove_file(&self.file).expect("remove added file"),
        }
        self.repo.git(&["add", "-A"]);
    }
}

/// The edit of a probe. For .nix files a comment line is put first: it
/// shifts every definition of the file by one line, and the stand-in module
/// system records the position of every active definition in the toplevel
/// derivation, so the drvPath changes exactly when the file holds active
/// definitions (or is copied to the store), the same reach as an edit of
/// its values. JSON data gets a new key (a semantic change even after
/// `importJSON`); other files one more byte. flake.lock only gets a newline,
/// so Nix keeps reading it as the same lock.
fn edited(path: &str, bytes: &[u8]) -> Vec<u8> {
    if path.ends_with(".nix") {
        let mut out = b"# openspec soundness probe\n".to_vec();
        out.extend_from_slice(bytes);
        return out;
    }
    if path.ends_with(".json")
        && let Ok(serde_json::Value::Object(mut map)) =
            serde_json::from_slice::<serde_json::Value>(bytes)
    {
        map.insert("openspecProbe".to_string(), serde_json::Value::Bool(true));
        if let Ok(text) = serde_json::to_vec_pretty(&serde_json::Value::Object(map)) {
            return text;
        }
    }
    let mut out = bytes.to_vec();
    out.push(b'\n');
    out
}

/// Contents of an added file: a module that defines something, so a folder
/// that imports its .nix files changes when one appears.
fn added(path: &str) -> &'static str {
    if path.ends_with(".nix") {
        "{ openspecProbe.added = true; }\n"
    } else {
        "openspec probe\n"
    }
}
