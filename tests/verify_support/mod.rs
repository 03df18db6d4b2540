//! Fixture flakes for the verification tests: a small stand-in for
//! `lib.nixosSystem` that walks a module list (following `imports`), merges
//! the modules' `config`, and returns a toplevel derivation built by
//! /bin/sh from an `etc` derivation; real Nix evaluates and builds it.
#![allow(dead_code)]
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A string unique to this test run (goes into derivations and NIX_CONFIG, so
/// builds are real and their processes can be found in the process table).
pub fn unique(tag: &str) -> String {
    static N: AtomicUsize = AtomicUsize::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!(
        "openspec-test-{tag}-{}-{}-{nanos}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    )
}

/// NIX_CONFIG for every Nix process of a test; `marker` rides along as a comment.
pub fn nix_config(marker: &str) -> String {
    [
        "experimental-features = nix-command flakes",
        "sandbox = false",
        "build-users-group =",
        "substituters =",
        "flake-registry =",
        &format!("# {marker}"),
    ]
    .join("\n")
}

const LIB: &str = r#"# A stand-in for nixpkgs' lib.nixosSystem: modules, imports, config, toplevel.
let
  merge = a: b:
    a // builtins.mapAttrs
      (n: v: if builtins.isAttrs v && builtins.isAttrs (a.${n} or null) then merge a.${n} v else v)
      b;
  load = m: if builtins.isPath m || builtins.isString m then import m else m;
  walk = ms: builtins.concatMap (m: let v = load m; in [ v ] ++ walk (v.imports or [ ])) ms;
  burn = n: builtins.foldl' (acc: x: acc + x * x) 0 (builtins.genList (x: x) n);
  # Minutes of CPU in little memory: the inner lists are garbage at once.
  spin = n: builtins.foldl' (a: i: builtins.foldl' (b: j: b + 1) a (builtins.genList (x: x) 1000)) 0 (builtins.genList (x: x) n);
in
{
  nixosSystem = { modules }:
    let
      cfg = builtins.foldl' (acc: m: merge acc (m.config or { })) { } (walk modules);
      sys = cfg.system or { };
      host = cfg.networking.hostName or "nixos";
      etc = derivation {
        name = "etc";
        system = "x86_64-linux";
        builder = "/bin/sh";
        args = [ "-c" "echo \"$files\" > $out" ];
        files = builtins.toJSON (cfg.environment.etc or { });
      };
      script = builtins.concatStringsSep "\n" [
        "set -e"
        (if sys ? buildSeconds then "/bin/sleep ${toString sys.buildSeconds}" else "")
        (if sys.failBuild or false then "echo 'building ${host} fails on purpose' >&2; exit 3" else "")
        "echo \"$config\" > $out"
      ];
    in
    {
      config = cfg // {
        system = sys // {
          build.toplevel = derivation {
            name = "nixos-system-${host}";
            system = "x86_64-linux";
            builder = "/bin/sh";
            args = [ "-c" script ];
            inherit etc;
            config = builtins.toJSON (builtins.removeAttrs cfg [ "environment" ]);
            marker = sys.marker or "";
            cost = toString (burn (sys.evalCost or 0));
            spun = toString (spin (sys.evalSpin or 0));
          };
        };
      };
    };
}
"#;

/// How a fixture host behaves.
#[derive(Clone, Debug)]
pub enum Host {
    Ok,
    /// A module throws during evaluation.
    EvalError,
    /// The builder exits 3.
    BuildFails,
    /// The builder sleeps this many seconds (with a unique marker in its env).
    SlowBuild(u32),
    /// Evaluation burns about this many fold steps of CPU.
    EvalCost(u64),
    /// Evaluation spins for minutes (in little memory).
    EvalSpins,
}

pub struct Fixture {
    pub dir: tempfile::TempDir,
    /// In the environment of slow builders.
    pub marker: String,
    /// In the NIX_CONFIG of every Nix process the binary starts.
    pub nix_marker: String,
}

pub fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .envs(git_env())
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

pub fn git_env() -> Vec<(&'static str, &'static str)> {
    vec![
        ("GIT_AUTHOR_NAME", "Test"),
        ("GIT_AUTHOR_EMAIL", "test@example.org"),
        ("GIT_COMMITTER_NAME", "Test"),
        ("GIT_COMMITTER_EMAIL", "test@example.org"),
        ("GIT_CONFIG_NOSYSTEM", "1"),
    ]
}

impl Fixture {
    /// A flake repository with the given hosts, committed, with a change `c1`.
    pub fn new(hosts: &[(&str, Host)]) -> Fixture {
        let dir = tempfile::Builder::new()
            .prefix("openspec-verify-")
            .tempdir()
            .expect("temp dir");
        let marker = unique("build");
        let root = dir.path();
        write(root, "lib/nixos.nix", LIB);
        write(
            root,
            "modules/base.nix",
            "{ config.environment.etc.motd = \"welcome\"; config.services.ssh.enable = true; }\n",
        );
        write(
            root,
            "modules/desktop.nix",
            "{ imports = [ ./fonts.nix ]; config.services.desktop.enable = true; }\n",
        );
        write(
            root,
            "modules/fonts.nix",
            "{ config.environment.etc.fonts = \"noto\"; }\n",
        );
        let mut entries = String::new();
        for (i, (name, kind)) in hosts.iter().enumerate() {
            let extra = match kind {
                Host::Ok => String::new(),
                Host::EvalError => {
                    format!("config.services.broken = throw \"broken module in hosts/{name}\";")
                }
                Host::BuildFails => "config.system.failBuild = true;".to_string(),
                Host::SlowBuild(s) => format!(
                    "config.system.buildSeconds = {s}; config.system.marker = \"{marker}\";"
                ),
                Host::EvalCost(n) => format!("config.system.evalCost = {n};"),
                Host::EvalSpins => "config.system.evalSpin = 1000000;".to_string(),
            };
            let imports = if i % 2 == 0 {
                "../../modules/base.nix ../../modules/desktop.nix"
            } else {
                "../../modules/base.nix"
            };
            write(
                root,
                &format!("hosts/{name}/default.nix"),
                &format!(
                    "{{\n  imports = [ {imports} ];\n  config.networking.hostName = \"{name}\";\n  {extra}\n}}\n"
                ),
            );
            entries.push_str(&format!(
                "      {name} = lib.nixosSystem {{ modules = [ ./hosts/{name}/default.nix ]; }};\n"
            ));
        }
        write(
            root,
            "flake.nix",
            &format!(
                "{{\n  description = \"openspec verification fixture\";\n  outputs = {{ self }}:\n    let lib = import ./lib/nixos.nix;\n    in {{\n      nixosConfigurations = {{\n{entries}      }};\n    }};\n}}\n"
            ),
        );
        write(root, "openspec/changes/c1/proposal.md", "# c1\n");
        git(root, &["init", "-q", "-b", "main"]);
        git(root, &["add", "-A"]);
        git(root, &["commit", "-q", "-m", "fixture"]);
        Fixture {
            dir,
            marker,
            nix_marker: unique("nix"),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn verification(&self) -> PathBuf {
        self.path().join("openspec/changes/c1/verification")
    }

    /// The openspec binary in the fixture, with per-process Nix settings.
    pub fn openspec(&self) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_openspec"));
        c.current_dir(self.path())
            .env("NIX_CONFIG", nix_config(&self.nix_marker))
            .env("NO_COLOR", "1")
            .envs(git_env());
        c
    }

    pub fn report(&self) -> serde_json::Value {
        let p = self.verification().join("report.json");
        let text = std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        serde_json::from_str(&text).expect("report is JSON")
    }
}

pub fn write(root: &Path, rel: &str, text: &str) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
    std::fs::write(&p, text).expect("write");
}

/// The host entry of a report.
pub fn host<'a>(report: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    report["hosts"]
        .as_array()
        .and_then(|hs| hs.iter().find(|h| h["name"] == name))
        .unwrap_or_else(|| panic!("no host {name} in {report:#}"))
}

/// Pids of live processes whose environment or command line holds `marker`.
pub fn processes_with(marker: &str) -> Vec<u32> {
    let mut pids = Vec::new();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return pids;
    };
    for e in entries.flatten() {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        if pid == std::process::id() {
            continue;
        }
        let status = std::fs::read_to_string(e.path().join("stat")).unwrap_or_default();
        // A zombie has released its resources; reaping is its parent's business.
        if status.split_whitespace().nth(2) == Some("Z") {
            continue;
        }
        let env = std::fs::read(e.path().join("environ")).unwrap_or_default();
        let cmd = std::fs::read(e.path().join("cmdline")).unwrap_or_default();
        let has = |b: &[u8]| b.windows(marker.len()).any(|w| w == marker.as_bytes());
        if has(&env) || has(&cmd) {
            pids.push(pid);
        }
    }
    pids
}

/// Wait up to `secs` for `cond`.
pub fn wait_until(secs: u64, mut cond: impl FnMut() -> bool) -> bool {
    let until = std::time::Instant::now() + std::time::Duration::from_secs(secs);
    while std::time::Instant::now() < until {
        if cond() {
            return true;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    cond()
}
