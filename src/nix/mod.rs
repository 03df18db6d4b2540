//! Evaluator bindings: the Nix CLI as typed calls. `Nix::find` locates `nix`
//! and parses its version once; argument lists are built per feature of that
//! version; results are parsed into our own types. Every child gets its
//! settings through its own environment and runs in its own process group.
//!
//! Rules this module keeps:
//! - Argument lists are built by `*_args` methods without running anything,
//!   so plans and tests can show them; `display` renders one as a shell line.
//! - What differs between Nix releases is decided once, in [`Features`]
//!   (from the parsed [`NixVersion`]), never by comparing versions at a call.
//! - Every evaluation passes `--no-write-lock-file`: openspec never changes a
//!   flake's lock file.
//! - Every child gets `NIX_CONFIG` = the caller's value, then the settings
//!   openspec needs (see [`NixSettings::nix_config`]); no global file is
//!   written. Every call also carries the [`NixSettings::args`] flags.
//! - Every child runs in its own process group (see [`process`]) and stops
//!   when the interrupt flag is set; a failed [`Nix::run`] reports the tail
//!   of Nix's stderr chosen by [`error_tail`] (12 lines).
//! - Store paths in Nix's output are checked ([`StorePath::parse`]) against
//!   the store directory of this process ([`store_dir`]).
#![warn(missing_docs)]
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

mod derivation;
mod host_names;
pub use host_names::parse_host_names;
mod path_info;
pub mod process;
mod settings;
mod store_path;
mod version;

pub use derivation::{Derivation, parse_derivations};
pub use path_info::{PathInfo, parse_path_info};
pub use settings::NixSettings;
pub use store_path::{StorePath, mask_hashes, store_dir};
pub use version::{Features, Flavor, NixVersion};

/// Why a call to Nix, or the parsing of what it printed, failed. The
/// messages are shown to users as they are; variants that wrap an underlying
/// error keep it as their `source()`.
#[derive(Debug, thiserror::Error)]
pub enum NixError {
    /// No executable regular file named `nix` in any directory of `PATH`.
    #[error(
        "nix is not installed or not on PATH; install Nix (Debian: `apt-get install nix-bin`) or add its bin directory to PATH"
    )]
    Missing,
    /// The operating system refused to start `program` (or to watch it).
    #[error("cannot run {program}: {source}")]
    Spawn {
        /// The program as a path, e.g. `/nix/var/nix/profiles/default/bin/nix`.
        program: String,
        /// The error of the spawn (or of polling the child).
        source: std::io::Error,
    },
    /// `nix --version` printed no line with a version token.
    #[error("cannot understand the output of `nix --version`: {output:?}")]
    Version {
        /// Its stdout followed by its stderr, as printed.
        output: String,
    },
    /// The command exited unsuccessfully.
    #[error("`{command}` failed:\n{tail}")]
    Failed {
        /// The command line as a shell would read it (see [`Nix::display`]).
        command: String,
        /// The useful end of its stderr (see [`error_tail`]).
        tail: String,
    },
    /// The command was still running at its deadline and was killed.
    #[error("`{command}` ran out of time")]
    TimedOut {
        /// The command line as a shell would read it.
        command: String,
    },
    /// The interrupt flag was set while the command ran; it was killed.
    #[error("`{command}` was interrupted")]
    Interrupted {
        /// The command line as a shell would read it.
        command: String,
    },
    /// Nix printed text that is not JSON (or not the JSON type expected).
    #[error("cannot parse the JSON of `{what}`: {source}")]
    Json {
        /// The command whose output it was, e.g. `nix build --json`.
        what: &'static str,
        /// The parser's error.
        source: serde_json::Error,
    },
    /// Nix printed valid JSON of a shape this module does not know.
    #[error("cannot parse the JSON of `{what}`: {detail}")]
    JsonShape {
        /// The command whose output it was, e.g. `nix path-info --json`.
        what: &'static str,
        /// What was expected and where.
        detail: String,
    },
    /// A string that should be a store path is not one (see [`StorePath::parse`]).
    #[error("{0:?} is not a store path")]
    StorePath(String),
    /// A host name that [`quote_attr`] refuses.
    #[error("host name {0:?} cannot be quoted as a Nix attribute name")]
    HostName(String),
    /// Creating, cloning or reading back the temporary files that hold a
    /// child's output failed.
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// Which flake output a host lives in: `nixosConfigurations` or
/// `darwinConfigurations`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum HostKind {
    /// `nixosConfigurations.<host>`: the toplevel is `config.system.build.toplevel`.
    #[default]
    Nixos,
    /// `darwinConfigurations.<host>`: the toplevel is
    /// `config.system.build.toplevel`, else the host's `system` attribute
    /// (what nix-darwin's `darwinSystem` returns).
    Darwin,
}

impl HostKind {
    /// Both kinds, in the order hosts are listed.
    pub const ALL: [HostKind; 2] = [HostKind::Nixos, HostKind::Darwin];

    /// The flake output holding hosts of this kind.
    pub fn output(self) -> &'static str {
        match self {
            HostKind::Nixos => "nixosConfigurations",
            HostKind::Darwin => "darwinConfigurations",
        }
    }

    /// `nixos` or `darwin` (the `kind` of `hosts --json`).
    pub fn as_str(self) -> &'static str {
        match self {
            HostKind::Nixos => "nixos",
            HostKind::Darwin => "darwin",
        }
    }

    /// The kind named `nixos` or `darwin` (None for anything else).
    pub fn parse(s: &str) -> Option<HostKind> {
        match s {
            "nixos" => Some(HostKind::Nixos),
            "darwin" => Some(HostKind::Darwin),
            _ => None,
        }
    }

    /// The Nix expression of the toplevel derivation of a host `c` of this kind.
    pub fn toplevel_expr(self, c: &str) -> String {
        match self {
            HostKind::Nixos => format!("{c}.config.system.build.toplevel"),
            HostKind::Darwin => format!("({c}.config.system.build.toplevel or {c}.system)"),
        }
    }
}

/// The attribute path of a host's toplevel below the flake outputs, with the
/// host name quoted: `nixosConfigurations."web.example".config.system.build.toplevel`.
/// Errors: [`NixError::HostName`] when the name cannot be quoted.
pub fn toplevel_attr(kind: HostKind, host: &str) -> Result<String, NixError> {
    let q = quote_attr(host)?;
    Ok(match kind {
        HostKind::Nixos => format!("{}.{q}.config.system.build.toplevel", kind.output()),
        HostKind::Darwin => format!("{}.{q}.system", kind.output()),
    })
}

/// Every host of a flake with its kind: `nixosConfigurations` first, then
/// `darwinConfigurations`, each sorted as Nix sorts attribute names.
pub type HostList = Vec<(String, HostKind)>;

/// What this machine's Nix can build: its `system`, `extra-platforms`, and
/// whether remote builders are configured (`builders`, not an empty
/// `@file`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Platforms {
    /// `system` and `extra-platforms`.
    pub systems: Vec<String>,
    /// Some remote builder may take other systems.
    pub remote_builders: bool,
}

impl Platforms {
    /// The platform this binary was built for, in Nix's spelling (`x86_64-linux`).
    pub fn native() -> String {
        let os = match std::env::consts::OS {
            "macos" => "darwin",
            o => o,
        };
        format!("{}-{os}", std::env::consts::ARCH)
    }

    /// True when a derivation for `system` can be built here (or remotely).
    pub fn can_build(&self, system: &str) -> bool {
        self.remote_builders || system == "builtin" || self.systems.iter().any(|s| s == system)
    }
}

/// One built derivation from `nix build --json`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct BuildResult {
    /// The store derivation that was built (`<hash>-<name>.drv`).
    pub drv_path: StorePath,
    /// Output name (`out`, `dev`, …) -> the store path it was built at.
    pub outputs: std::collections::BTreeMap<String, StorePath>,
}

/// The installed Nix: where it is, what it can do, and the settings every
/// child process gets.
#[derive(Debug, Clone)]
pub struct Nix {
    program: PathBuf,
    /// The version `nix --version` printed (or the one given to [`Nix::new`]).
    pub version: NixVersion,
    /// What this version's CLI can do; decides the argument lists.
    pub features: Features,
    /// Settings every child gets (environment and flags).
    pub settings: NixSettings,
    store_dir: String,
    /// Set to stop every running call (Ctrl-C).
    interrupt: Arc<AtomicBool>,
}

/// The first `PATH` directory entry `<dir>/<name>` that is a regular file
/// with an execute bit; `None` when `PATH` is unset or none matches.
fn find_on_path(name: &str) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| {
            p.metadata()
                .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
}

impl Nix {
    /// Find `nix` on `PATH` (the first executable regular file of that name)
    /// and run `nix --version` once to read its version.
    ///
    /// Errors: [`NixError::Missing`] when there is none, [`NixError::Spawn`]
    /// when it cannot be run, [`NixError::Version`] when its output holds no
    /// version.
    pub fn find(settings: NixSettings) -> Result<Nix, NixError> {
        let program = find_on_path("nix").ok_or(NixError::Missing)?;
        let out = Command::new(&program)
            .arg("--version")
            .stdin(Stdio::null())
            .output()
            .map_err(|source| NixError::Spawn {
                program: program.display().to_string(),
                source,
            })?;
        let text = String::from_utf8_lossy(&out.stdout);
        let version = NixVersion::parse(&text).ok_or_else(|| NixError::Version {
            output: format!("{}{}", text, String::from_utf8_lossy(&out.stderr)),
        })?;
        Ok(Nix::new(program, version, settings))
    }

    /// A binding for a known version without running anything (plans, tests).
    /// The store directory is read from the environment now ([`store_dir`]).
    pub fn new(program: PathBuf, version: NixVersion, settings: NixSettings) -> Nix {
        Nix {
            program,
            features: version.features(),
            version,
            settings,
            store_dir: store_dir(),
            interrupt: Arc::new(AtomicBool::new(false)),
        }
    }

    /// Stop every running call when `flag` is set.
    pub fn with_interrupt(mut self, flag: Arc<AtomicBool>) -> Nix {
        self.interrupt = flag;
        self
    }

    /// The flag that stops every running call when set (shared by clones).
    pub fn interrupt_flag(&self) -> &Arc<AtomicBool> {
        &self.interrupt
    }

    /// The `nix` executable this binding runs.
    pub fn program(&self) -> &Path {
        &self.program
    }

    /// The store directory store paths are checked against, without a
    /// trailing slash (`/nix/store` unless `NIX_STORE_DIR` says otherwise).
    pub fn store_dir(&self) -> &str {
        &self.store_dir
    }

    /// A `nix` command with our settings in its environment (not yet spawned):
    /// `NIX_CONFIG` is the inherited value followed by ours. `args` are used
    /// as given; the `*_args` methods already append the settings' flags.
    pub fn command(&self, args: &[String]) -> Command {
        let mut cmd = Command::new(&self.program);
        cmd.args(args);
        let inherited = std::env::var("NIX_CONFIG").ok();
        cmd.env("NIX_CONFIG", self.settings.nix_config(inherited.as_deref()));
        cmd
    }

    /// How a command line reads in a shell (for plans and logs): `nix` and
    /// `args`, quoted where needed (joined with spaces if quoting fails).
    pub fn display(&self, args: &[String]) -> String {
        let mut words = vec!["nix".to_string()];
        words.extend(args.iter().cloned());
        shlex::try_join(words.iter().map(String::as_str)).unwrap_or_else(|_| words.join(" "))
    }

    fn with_settings(&self, mut args: Vec<String>) -> Vec<String> {
        args.extend(self.settings.args());
        args
    }

    /// `nix eval --json --no-write-lock-file <flake>#nixosConfigurations --apply builtins.attrNames`
    /// followed by the settings' flags: prints the host names as a JSON list.
    pub fn list_hosts_args(&self, flake: &str) -> Vec<String> {
        self.list_kind_args(flake, HostKind::Nixos)
    }

    /// [`Nix::list_hosts_args`] for the output of hosts of `kind`.
    pub fn list_kind_args(&self, flake: &str, kind: HostKind) -> Vec<String> {
        self.with_settings(vec![
            "eval".into(),
            "--json".into(),
            "--no-write-lock-file".into(),
            format!("{flake}#{}", kind.output()),
            "--apply".into(),
            "builtins.attrNames".into(),
        ])
    }

    /// `nix eval --raw --no-write-lock-file <flake>#<toplevel attribute>.drvPath`
    /// ([`toplevel_attr`]) followed by the settings' flags. Errors:
    /// [`NixError::HostName`] when `host` cannot be quoted ([`quote_attr`]).
    pub fn eval_toplevel_args(
        &self,
        flake: &str,
        kind: HostKind,
        host: &str,
    ) -> Result<Vec<String>, NixError> {
        Ok(self.with_settings(vec![
            "eval".into(),
            "--raw".into(),
            "--no-write-lock-file".into(),
            format!("{flake}#{}.drvPath", toplevel_attr(kind, host)?),
        ]))
    }

    /// One evaluator for several hosts of one kind that reports each
    /// toplevel drvPath as soon as it is known, as a
    /// `trace: openspec-drv "<host>" <drv> <system>` line on stderr (hosts in
    /// order), so builds can start while it goes on:
    /// `nix eval --json <flake>#<kind>Configurations --apply 'cs: foldl' … [hosts]'`.
    /// With `facts` (the Nix function of one host's configuration, see
    /// `verify::security`), each drvPath line is followed by
    /// `trace: openspec-facts "<host>" <JSON or null>`: the host's security
    /// facts from the same evaluator. [`parse_traced_drv`] and
    /// [`parse_traced_facts`] read those lines back. Errors:
    /// [`NixError::HostName`] for the first host that cannot be quoted.
    pub fn eval_toplevels_traced_args(
        &self,
        flake: &str,
        kind: HostKind,
        hosts: &[String],
        facts: Option<&str>,
    ) -> Result<Vec<String>, NixError> {
        let names: Vec<String> = hosts
            .iter()
            .map(|h| quote_attr(h))
            .collect::<Result<_, _>>()?;
        let top = kind.toplevel_expr("c");
        let drv_line = format!(
            "builtins.trace \"{TRACE_TAG} \\\"${{n}}\\\" ${{t.drvPath}} ${{t.system or \"unknown\"}}\" null"
        );
        let body = match facts {
            None => format!("builtins.seq ({drv_line}) (acc + 1)"),
            Some(_) => format!(
                "builtins.seq ({drv_line}) (builtins.seq (builtins.trace \"{FACTS_TAG} \\\"${{n}}\\\" ${{builtins.toJSON (let r = builtins.tryEval (builtins.deepSeq (facts c) (facts c)); in if r.success then r.value else null)}}\" null) (acc + 1))"
            ),
        };
        let apply = format!(
            "cs: let facts = {}; in builtins.foldl' (acc: n: let c = cs.${{n}}; t = {top}; in {body}) 0 [ {} ]",
            facts.unwrap_or("null"),
            names.join(" ")
        );
        Ok(self.with_settings(vec![
            "eval".into(),
            "--json".into(),
            "--no-write-lock-file".into(),
            format!("{flake}#{}", kind.output()),
            "--apply".into(),
            apply,
        ]))
    }

    /// `nix eval --json --no-write-lock-file <installable> --apply <function>`
    /// followed by the settings' flags.
    pub fn eval_apply_args(&self, installable: &str, apply: &str) -> Vec<String> {
        self.with_settings(vec![
            "eval".into(),
            "--json".into(),
            "--no-write-lock-file".into(),
            installable.to_string(),
            "--apply".into(),
            apply.to_string(),
        ])
    }

    /// `nix path-info --json -r -S <path>`: every path of the closure, each
    /// with its own closure size.
    pub fn path_info_closure_args(&self, path: &StorePath) -> Vec<String> {
        self.with_settings(vec![
            "path-info".into(),
            "--json".into(),
            "-r".into(),
            "-S".into(),
            path.to_string(),
        ])
    }

    /// `nix build --dry-run --no-link <drv installable>`: builds nothing;
    /// stderr lists what would be built and fetched ([`parse_dry_run`]).
    pub fn dry_run_args(&self, drv: &StorePath) -> Vec<String> {
        self.with_settings(vec![
            "build".into(),
            "--dry-run".into(),
            "--no-link".into(),
            self.drv_installable(drv),
        ])
    }

    /// [`Nix::show_derivation_args`] with `-r`: the derivation and every
    /// derivation it is built from.
    pub fn show_derivation_recursive_args(&self, drv: &StorePath) -> Vec<String> {
        let mut a = self.show_derivation_args(std::slice::from_ref(drv));
        let at = if self.features.derivation_show { 2 } else { 1 };
        a.insert(at, "-r".into());
        a
    }

    /// The installable that builds a derivation's outputs: a bare `.drv` up
    /// to 2.14, `<drv>^*` from 2.15 (where a bare `.drv` means the file).
    pub fn drv_installable(&self, drv: &StorePath) -> String {
        if self.features.drv_needs_caret {
            format!("{drv}^*")
        } else {
            drv.to_string()
        }
    }

    /// `nix build --json -L (--no-link | --out-link ROOT) <drv installable>`;
    /// the out-link is an indirect GC root.
    pub fn build_args(&self, drv: &StorePath, out_link: Option<&Path>) -> Vec<String> {
        self.build_installable_args(self.drv_installable(drv), out_link)
    }

    /// `build_args` for an installable given as text (plans show placeholders).
    pub fn build_installable_args(
        &self,
        installable: String,
        out_link: Option<&Path>,
    ) -> Vec<String> {
        let mut a: Vec<String> = vec!["build".into(), "--json".into(), "-L".into()];
        match out_link {
            Some(l) if self.settings.local_store() => {
                a.push("--out-link".into());
                a.push(l.display().to_string());
            }
            _ => a.push("--no-link".into()),
        }
        a.push(installable);
        self.with_settings(a)
    }

    /// `nix show-derivation` (up to 2.14) or `nix derivation show` (2.15+).
    pub fn show_derivation_args(&self, drvs: &[StorePath]) -> Vec<String> {
        let mut a: Vec<String> = if self.features.derivation_show {
            vec!["derivation".into(), "show".into()]
        } else {
            vec!["show-derivation".into()]
        };
        // From 2.15 a bare .drv is the file itself, which is what we want here.
        a.extend(drvs.iter().map(StorePath::to_string));
        self.with_settings(a)
    }

    /// `nix path-info --json [-S] PATHS` followed by the settings' flags;
    /// `closure` adds `-S` (closure sizes in bytes).
    pub fn path_info_args(&self, paths: &[StorePath], closure: bool) -> Vec<String> {
        let mut a: Vec<String> = vec!["path-info".into(), "--json".into()];
        if closure {
            a.push("-S".into());
        }
        a.extend(paths.iter().map(StorePath::to_string));
        self.with_settings(a)
    }

    /// Run to completion (stoppable by the interrupt flag, no deadline);
    /// stdout on success. stdout and stderr go to anonymous temporary files.
    ///
    /// Errors: [`NixError::Failed`] with the last useful lines of stderr
    /// ([`error_tail`], 12 lines) on a non-zero exit;
    /// [`NixError::Interrupted`] when the flag stopped it; [`NixError::Spawn`]
    /// when it could not be started; [`NixError::Io`] when the temporary
    /// files fail.
    pub fn run(&self, args: &[String]) -> Result<String, NixError> {
        self.run_both(args).map(|(out, _)| out)
    }

    /// [`Nix::run`], returning stdout and stderr on success.
    pub fn run_both(&self, args: &[String]) -> Result<(String, String), NixError> {
        let mut out = tempfile::tempfile()?;
        let mut err = tempfile::tempfile()?;
        let outcome = process::run_watched(
            self.command(args),
            Stdio::from(out.try_clone()?),
            Stdio::from(err.try_clone()?),
            None::<Instant>,
            &[&self.interrupt],
        )
        .map_err(|source| NixError::Spawn {
            program: self.program.display().to_string(),
            source,
        })?;
        let command = self.display(args);
        match outcome {
            process::Outcome::Exited(s) if s.success() => {
                Ok((read_all(&mut out)?, read_all(&mut err)?))
            }
            process::Outcome::Exited(_) => Err(NixError::Failed {
                command,
                tail: error_tail(&read_all(&mut err)?, 12),
            }),
            process::Outcome::TimedOut => Err(NixError::TimedOut { command }),
            process::Outcome::Stopped => Err(NixError::Interrupted { command }),
        }
    }

    /// The flake's `nixosConfigurations` names, sorted as Nix sorts
    /// attribute names. Errors: those of [`Nix::run`], and
    /// [`NixError::Json`] when the output is not a JSON list of strings.
    pub fn list_hosts(&self, flake: &str) -> Result<Vec<String>, NixError> {
        let args = self.list_hosts_args(flake);
        let out = self.run(&args)?;
        parse_host_list(&out)
    }

    /// Every host of the flake with its kind ([`HostList`]): one
    /// `attrNames` evaluation per output, both at once. A flake without one
    /// of the outputs simply has no hosts of that kind. Errors: the
    /// `nixosConfigurations` call's error when both outputs fail (or when a
    /// call fails for another reason than the output being missing).
    pub fn list_all_hosts(&self, flake: &str) -> Result<HostList, NixError> {
        let results: Vec<Result<Vec<String>, NixError>> = std::thread::scope(|s| {
            let handles: Vec<_> = HostKind::ALL
                .iter()
                .map(|&k| {
                    s.spawn(move || {
                        let out = self.run(&self.list_kind_args(flake, k))?;
                        parse_host_list(&out)
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| {
                    h.join().unwrap_or_else(|_| {
                        Err(NixError::Io(std::io::Error::other("host listing panicked")))
                    })
                })
                .collect()
        });
        let missing = |e: &NixError| matches!(e, NixError::Failed { tail, .. } if tail.contains("does not provide attribute"));
        let mut list = HostList::new();
        let mut first_err = None;
        let mut failed = 0;
        for (kind, r) in HostKind::ALL.iter().zip(results) {
            match r {
                Ok(names) => list.extend(names.into_iter().map(|n| (n, *kind))),
                Err(e) => {
                    failed += 1;
                    if !missing(&e) || first_err.is_none() {
                        let real = !missing(&e);
                        first_err = Some((e, real));
                    }
                }
            }
        }
        match first_err {
            Some((e, true)) => Err(e),
            Some((e, false)) if failed == HostKind::ALL.len() => Err(e),
            _ => Ok(list),
        }
    }

    /// The platforms this Nix builds for (`nix show-config --json`, or `nix
    /// config show --json` from 2.20): `system`, `extra-platforms`, and
    /// whether `builders` names any remote builder. Errors: those of
    /// [`Nix::run`] and [`NixError::Json`].
    pub fn platforms(&self) -> Result<Platforms, NixError> {
        let mut args: Vec<String> = if self.features.config_show {
            vec!["config".into(), "show".into(), "--json".into()]
        } else {
            vec!["show-config".into(), "--json".into()]
        };
        args = self.with_settings(std::mem::take(&mut args));
        let out = self.run(&args)?;
        let doc: serde_json::Value =
            serde_json::from_str(out.trim()).map_err(|source| NixError::Json {
                what: "nix show-config --json",
                source,
            })?;
        let value = |k: &str| doc.get(k).and_then(|v| v.get("value")).cloned();
        let mut systems = Vec::new();
        if let Some(serde_json::Value::String(s)) = value("system") {
            systems.push(s);
        }
        match value("extra-platforms") {
            Some(serde_json::Value::Array(a)) => {
                systems.extend(a.into_iter().filter_map(|v| v.as_str().map(str::to_string)));
            }
            Some(serde_json::Value::String(s)) => {
                systems.extend(s.split_whitespace().map(str::to_string));
            }
            _ => {}
        }
        let builders = value("builders")
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        let given = self.settings.builders.as_deref().unwrap_or("");
        Ok(Platforms {
            systems,
            remote_builders: names_builders(given)
                || names_builders(&builders)
                || !self.settings.local_store(),
        })
    }

    /// Evaluate one host's toplevel derivation path (no build). Errors: those
    /// of [`Nix::eval_toplevel_args`] and [`Nix::run`], and
    /// [`NixError::StorePath`] when the output is not a store path.
    pub fn eval_toplevel(
        &self,
        flake: &str,
        kind: HostKind,
        host: &str,
    ) -> Result<StorePath, NixError> {
        let out = self.run(&self.eval_toplevel_args(flake, kind, host)?)?;
        StorePath::parse(&out, &self.store_dir)
    }

    /// The derivations at `drvs` (read from the store, one call), sorted by
    /// path; no call at all for an empty list. Errors: those of [`Nix::run`]
    /// and [`parse_derivations`].
    pub fn show_derivations(&self, drvs: &[StorePath]) -> Result<Vec<Derivation>, NixError> {
        if drvs.is_empty() {
            return Ok(Vec::new());
        }
        let out = self.run(&self.show_derivation_args(drvs))?;
        parse_derivations(&out, &self.store_dir)
    }

    /// Closure sizes in bytes of valid store paths, in one call
    /// (`nix path-info --json -S`). Paths Nix reports as invalid, or without
    /// a closure size, are left out of the map. Errors: those of
    /// [`Nix::run`] and [`parse_path_info`].
    pub fn closure_sizes(
        &self,
        paths: &[StorePath],
    ) -> Result<std::collections::BTreeMap<StorePath, u64>, NixError> {
        let out = self.run(&self.path_info_args(paths, true))?;
        Ok(parse_path_info(&out, &self.store_dir)?
            .into_iter()
            .filter(|i| i.valid)
            .filter_map(|i| Some((i.path, i.closure_size?)))
            .collect())
    }

    /// [`parse_build_results`] with this binding's store directory.
    pub fn parse_build_json(&self, json: &str) -> Result<Vec<BuildResult>, NixError> {
        parse_build_results(json, &self.store_dir)
    }
}

fn read_all(f: &mut std::fs::File) -> std::io::Result<String> {
    use std::io::{Read, Seek};
    f.rewind()?;
    let mut s = String::new();
    f.read_to_string(&mut s)?;
    Ok(s)
}

const TRACE_TAG: &str = "openspec-drv";
const FACTS_TAG: &str = "openspec-facts";

/// True when a `builders` value names a remote builder: not empty, and not
/// an `@file` that is missing or holds no machine line.
fn names_builders(spec: &str) -> bool {
    let spec = spec.trim();
    if spec.is_empty() {
        return false;
    }
    match spec.strip_prefix('@') {
        Some(file) => std::fs::read_to_string(file).is_ok_and(|t| {
            t.lines()
                .any(|l| !l.trim().is_empty() && !l.trim().starts_with('#'))
        }),
        None => true,
    }
}

/// `<host>` and the rest of a traced line `trace: <tag> "<host>" <rest>`.
fn traced<'a>(line: &'a str, tag: &str) -> Option<(&'a str, &'a str)> {
    let rest = line.strip_prefix("trace: ")?.strip_prefix(tag)?;
    let rest = rest.strip_prefix(" \"")?;
    // Host names never hold `"` (quote_attr refuses them), so the first
    // `" ` ends the name.
    rest.split_once("\" ")
}

/// `(host, drvPath, system)` from a line of `eval_toplevels_traced_args`'
/// stderr: `trace: openspec-drv "<host>" <drv path> <system>` (the system
/// may be missing: then None). `None` for any other line, including one
/// whose path is not a store path under `store_dir`.
pub fn parse_traced_drv(
    line: &str,
    store_dir: &str,
) -> Option<(String, StorePath, Option<String>)> {
    let (host, rest) = traced(line, TRACE_TAG)?;
    let (drv, system) = match rest.split_once(' ') {
        Some((d, s)) => (d, Some(s.trim().to_string()).filter(|s| !s.is_empty())),
        None => (rest, None),
    };
    Some((
        host.to_string(),
        StorePath::parse(drv, store_dir).ok()?,
        system,
    ))
}

/// `(host, facts)` from `trace: openspec-facts "<host>" <JSON>` (the JSON is
/// `null` when the facts threw). `None` for any other line or bad JSON.
pub fn parse_traced_facts(line: &str) -> Option<(String, serde_json::Value)> {
    let (host, json) = traced(line, FACTS_TAG)?;
    Some((host.to_string(), serde_json::from_str(json).ok()?))
}

/// What a dry run would do, from its stderr: `these N derivations will be
/// built:` and `these N paths will be fetched (… download, … unpacked):`,
/// each followed by indented store paths. Returns (to build, to fetch, the
/// fetch line's figures in parentheses when given).
pub fn parse_dry_run(stderr: &str) -> (Vec<String>, Vec<String>, Option<String>) {
    let (mut build, mut fetch, mut figures) = (Vec::new(), Vec::new(), None);
    let mut into: Option<bool> = None;
    for line in stderr.lines() {
        let t = line.trim();
        if line.starts_with("these ") || line.starts_with("this ") {
            if t.contains("will be built") {
                into = Some(true);
            } else if t.contains("will be fetched") {
                into = Some(false);
                figures = t
                    .split_once('(')
                    .and_then(|(_, r)| r.rsplit_once(')'))
                    .map(|(f, _)| f.to_string());
            } else {
                into = None;
            }
        } else if line.starts_with("  ") && t.starts_with('/') {
            match into {
                Some(true) => build.push(t.to_string()),
                Some(false) => fetch.push(t.to_string()),
                None => {}
            }
        } else {
            into = None;
        }
    }
    (build, fetch, figures)
}

/// A host name as a quoted attribute (`"yoga"`), refusing what cannot be quoted plainly.
///
/// Errors: [`NixError::HostName`] for an empty name or one holding `"`,
/// `\`, `$` or a newline (escapes or interpolation inside the quotes).
pub fn quote_attr(name: &str) -> Result<String, NixError> {
    if name.is_empty() || name.contains(['"', '\\', '$', '\n']) {
        return Err(NixError::HostName(name.to_string()));
    }
    Ok(format!("\"{name}\""))
}

/// `["a","b"]` from `builtins.attrNames` (surrounding whitespace ignored).
/// Errors: [`NixError::Json`] when it is not a JSON list of strings.
pub fn parse_host_list(json: &str) -> Result<Vec<String>, NixError> {
    serde_json::from_str(json.trim()).map_err(|source| NixError::Json {
        what: "nix eval --json …#nixosConfigurations",
        source,
    })
}

/// `nix build --json`: `[{"drvPath": …, "outputs": {"out": …}}]`, extra fields ignored.
///
/// Errors: [`NixError::Json`] when it is not a list of such objects,
/// [`NixError::StorePath`] when a path is not a store path under `store_dir`.
pub fn parse_build_results(json: &str, store_dir: &str) -> Result<Vec<BuildResult>, NixError> {
    #[derive(serde::Deserialize)]
    struct Raw {
        #[serde(rename = "drvPath")]
        drv_path: String,
        #[serde(default)]
        outputs: std::collections::BTreeMap<String, String>,
    }
    let raw: Vec<Raw> = serde_json::from_str(json.trim()).map_err(|source| NixError::Json {
        what: "nix build --json",
        source,
    })?;
    raw.into_iter()
        .map(|r| {
            Ok(BuildResult {
                drv_path: StorePath::parse(&r.drv_path, store_dir)?,
                outputs: r
                    .outputs
                    .iter()
                    .map(|(k, v)| Ok((k.clone(), StorePath::parse(v, store_dir)?)))
                    .collect::<Result<_, NixError>>()?,
            })
        })
        .collect()
}

/// The first useful lines of Nix's stderr: from the first `error:` line on
/// (at most `max` lines), else the last `max` non-blank lines; lines starting
/// with `warning:` are dropped first. Trailing whitespace is trimmed.
pub fn error_tail(stderr: &str, max: usize) -> String {
    let lines: Vec<&str> = stderr
        .lines()
        .filter(|l| !l.starts_with("warning:"))
        .collect();
    let picked: Vec<&str> = match lines.iter().position(|l| l.starts_with("error:")) {
        Some(i) => lines[i..].iter().take(max).copied().collect(),
        None => {
            let non_empty: Vec<&str> = lines.into_iter().filter(|l| !l.trim().is_empty()).collect();
            let start = non_empty.len().saturating_sub(max);
            non_empty[start..].to_vec()
        }
    };
    picked.join("\n").trim_end().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_tail_starts_at_the_error_and_drops_warnings() {
        let log = "$ nix eval …\nwarning: Git tree '/r' is dirty\nerror: boom\n\n       at /nix/store/x-source/flake.nix:3:5:\n(use '--show-trace' to show detailed location information)\n";
        let t = error_tail(log, 3);
        assert_eq!(
            t,
            "error: boom\n\n       at /nix/store/x-source/flake.nix:3:5:"
        );
        assert_eq!(error_tail("a\nb\nc\n", 2), "b\nc");
    }

    #[test]
    fn host_names_are_quoted_or_refused() {
        assert_eq!(quote_attr("yoga").unwrap(), "\"yoga\"");
        assert!(quote_attr("a${b}").is_err());
        assert!(quote_attr("").is_err());
        assert_eq!(parse_host_list("[\"a\",\"b\"]\n").unwrap(), ["a", "b"]);
        let e = parse_host_list("{}").unwrap_err();
        assert!(std::error::Error::source(&e).is_some(), "{e}");
        assert!(
            e.to_string().starts_with("cannot parse the JSON of "),
            "{e}"
        );
    }

    #[test]
    fn dry_runs_list_what_would_be_built_and_fetched() {
        let err = "these 2 derivations will be built:\n  /nix/store/a-x.drv\n  /nix/store/b-y.drv\nthese 1 paths will be fetched (0.50 MiB download, 2.00 MiB unpacked):\n  /nix/store/c-z\nwarning: something\n";
        let (b, f, size) = parse_dry_run(err);
        assert_eq!(b, ["/nix/store/a-x.drv", "/nix/store/b-y.drv"]);
        assert_eq!(f, ["/nix/store/c-z"]);
        assert_eq!(
            size.as_deref(),
            Some("0.50 MiB download, 2.00 MiB unpacked")
        );
        assert_eq!(parse_dry_run(""), (vec![], vec![], None));
    }

    #[test]
    fn traced_lines_name_the_host_and_its_drv() {
        let line = "trace: openspec-drv \"yoga\" /nix/store/5f5bx2xkvmwvndad53cg2kh5yjqly16i-nixos-system-yoga.drv";
        let (h, d, sys) = parse_traced_drv(line, "/nix/store").unwrap();
        assert_eq!(h, "yoga");
        assert_eq!(d.name(), "nixos-system-yoga.drv");
        assert_eq!(sys, None);
        let line = "trace: openspec-drv \"mac mini.local\" /nix/store/5f5bx2xkvmwvndad53cg2kh5yjqly16i-darwin-system.drv aarch64-darwin";
        let (h, _, sys) = parse_traced_drv(line, "/nix/store").unwrap();
        assert_eq!(h, "mac mini.local");
        assert_eq!(sys.as_deref(), Some("aarch64-darwin"));
        let (h, v) =
            parse_traced_facts("trace: openspec-facts \"web.example-1\" {\"polkit\":true}")
                .unwrap();
        assert_eq!(h, "web.example-1");
        assert_eq!(v["polkit"], true);
        assert!(parse_traced_facts("trace: openspec-facts \"a\" {broken").is_none());
        assert!(parse_traced_drv("trace: something else", "/nix/store").is_none());
        assert!(parse_traced_drv("error: openspec-drv", "/nix/store").is_none());
        let v = NixVersion::parse("nix (Nix) 2.8.0").unwrap();
        let nix = Nix::new(PathBuf::from("nix"), v, NixSettings::default());
        let args = nix
            .eval_toplevels_traced_args("/f", HostKind::Nixos, &["a".into(), "b.c-d".into()], None)
            .unwrap();
        assert_eq!(
            args[..4],
            [
                "eval",
                "--json",
                "--no-write-lock-file",
                "/f#nixosConfigurations"
            ]
        );
        assert!(args[5].ends_with("[ \"a\" \"b.c-d\" ]"), "{}", args[5]);
        let args = nix
            .eval_toplevels_traced_args("/f", HostKind::Darwin, &["m.local".into()], Some("c: 1"))
            .unwrap();
        assert_eq!(args[3], "/f#darwinConfigurations");
        assert!(
            args[5].contains("c.config.system.build.toplevel or c.system"),
            "{}",
            args[5]
        );
        assert!(args[5].contains("openspec-facts"), "{}", args[5]);
    }

    #[test]
    fn toplevel_attributes_quote_dotted_names() {
        assert_eq!(
            toplevel_attr(HostKind::Nixos, "web.example-1").unwrap(),
            "nixosConfigurations.\"web.example-1\".config.system.build.toplevel"
        );
        assert_eq!(
            toplevel_attr(HostKind::Darwin, "mac.local").unwrap(),
            "darwinConfigurations.\"mac.local\".system"
        );
        let v = NixVersion::parse("nix (Nix) 2.8.0").unwrap();
        let nix = Nix::new(PathBuf::from("nix"), v, NixSettings::default());
        let a = nix
            .eval_toplevel_args("/f", HostKind::Nixos, "a.b")
            .unwrap();
        assert_eq!(
            a[3],
            "/f#nixosConfigurations.\"a.b\".config.system.build.toplevel.drvPath"
        );
        assert!(toplevel_attr(HostKind::Nixos, "a\"b").is_err());
    }

    #[test]
    fn platforms_decide_what_builds_here() {
        let p = Platforms {
            systems: vec!["x86_64-linux".into(), "i686-linux".into()],
            remote_builders: false,
        };
        assert!(p.can_build("i686-linux"));
        assert!(!p.can_build("aarch64-darwin"));
        assert!(
            Platforms {
                remote_builders: true,
                ..p
            }
            .can_build("aarch64-darwin")
        );
        assert!(!names_builders(""));
        assert!(!names_builders("@/nonexistent/machines"));
        assert!(names_builders("ssh://mac aarch64-darwin"));
    }
}
