//! `nixos-check --base`: security facts and closures of each host compared
//! between a base commit and the working tree, through real Nix on a fixture
//! flake whose stand-in nixosSystem exposes the NixOS security options and
//! builds one real derivation per package.
#[allow(unused_macros)]
mod snapshot_support;
mod verify_support;

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;
use verify_support::{git, git_env, host, nix_config, unique, write};

const LIB: &str = r#"# A stand-in for lib.nixosSystem: imports first, then the module itself
# (later definitions win), `config` as given, one derivation per package.
let
  merge = a: b:
    a // builtins.mapAttrs
      (n: v: if builtins.isAttrs v && builtins.isAttrs (a.${n} or null) then merge a.${n} v else v)
      b;
  load = m: if builtins.isPath m then import m else m;
  walk = ms: builtins.concatMap (m: let v = load m; in walk (v.imports or [ ]) ++ [ v ]) ms;
in
{
  nixosSystem = { modules, marker }:
    let
      cfg = builtins.foldl' (acc: m: merge acc (m.config or { })) { } (walk modules);
      host = cfg.networking.hostName or "nixos";
      pkg = p: derivation {
        name = "${p.name}-${p.version}";
        system = "x86_64-linux";
        builder = "/bin/sh";
        args = [ "-c" "printf '%0${toString p.size}d' 0 > $out" ];
        inherit marker;
      };
    in
    {
      config = cfg // {
        system.build.toplevel = derivation {
          name = "nixos-system-${host}";
          system = "x86_64-linux";
          builder = "/bin/sh";
          args = [ "-c" "echo \"$config\" > $out; for p in $pkgs; do echo $p >> $out; done" ];
          pkgs = map pkg (cfg.environment.packages or [ ]);
          config = builtins.toJSON cfg;
          inherit marker;
        };
      };
    };
}
"#;

const COMMON: &str = r#"{
  config = {
    networking.firewall = {
      enable = true;
      allowedTCPPorts = [ 22 ];
      allowedUDPPorts = [ ];
      interfaces = { };
      trustedInterfaces = [ ];
    };
    services.openssh = {
      enable = true;
      ports = [ 22 ];
      settings = { PermitRootLogin = "no"; PasswordAuthentication = false; KbdInteractiveAuthentication = false; };
    };
    users.users.alice = {
      uid = 1000;
      isNormalUser = true;
      extraGroups = [ "users" ];
      shell = "/run/current-system/sw/bin/bash";
      openssh.authorizedKeys.keys = [ "ssh-ed25519 AAAAC3 alice" ];
    };
    security.sudo = { enable = true; wheelNeedsPassword = true; };
    boot.kernelParams = [ "quiet" ];
    environment.packages = [ { name = "openssh"; version = "9.6"; size = 2000; } ];
  };
}
"#;

struct Repo {
    dir: tempfile::TempDir,
    nix_marker: String,
    base: String,
}

fn host_file(name: &str, common: bool, extra: &str) -> String {
    let imports = if common { "../modules/common.nix" } else { "" };
    format!(
        "{{\n  imports = [ {imports} ];\n  config.networking.hostName = \"{name}\";\n  {extra}\n}}\n"
    )
}

fn flake(hosts: &[&str]) -> String {
    let entries: String = hosts
        .iter()
        .map(|h| {
            format!("      {h} = lib.nixosSystem {{ inherit marker; modules = [ ./hosts/{h}.nix ]; }};\n")
        })
        .collect();
    format!(
        "{{\n  outputs = {{ self }}:\n    let lib = import ./lib/nixos.nix; marker = import ./marker.nix;\n    in {{\n      nixosConfigurations = {{\n{entries}      }};\n    }};\n}}\n"
    )
}

/// Base commit: hosts with the common security settings (and a few
/// without); the working tree then edits one thing per host.
fn repo() -> Repo {
    let dir = tempfile::Builder::new()
        .prefix("openspec-diff-")
        .tempdir()
        .expect("temp dir");
    let root = dir.path();
    write(root, "lib/nixos.nix", LIB);
    write(root, "modules/common.nix", COMMON);
    // Unique derivations: every run builds for real.
    write(root, "marker.nix", &format!("\"{}\"\n", unique("diff")));
    let base_hosts = [
        "open", "close", "pw", "wheel", "nofw", "harmless", "bare", "broken", "removed",
    ];
    for h in base_hosts {
        let extra = if h == "close" {
            "config.networking.firewall.allowedTCPPorts = [ 22 443 ];"
        } else {
            ""
        };
        let common = h != "bare";
        write(
            root,
            &format!("hosts/{h}.nix"),
            &host_file(h, common, extra),
        );
    }
    write(root, "flake.nix", &flake(&base_hosts));
    write(root, "openspec/changes/c1/proposal.md", "# c1\n");
    git(root, &["init", "-q", "-b", "main"]);
    git(root, &["add", "-A"]);
    git(root, &["commit", "-q", "-m", "base"]);
    let base = String::from_utf8(
        Command::new("git")
            .args(["-C", root.to_str().unwrap(), "rev-parse", "HEAD"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap()
    .trim()
    .to_string();
    // The head: one edit per host, in the working tree (tracked files).
    let edits = [
        (
            "open",
            "config.networking.firewall.allowedTCPPorts = [ 22 8080 ];",
        ),
        ("close", ""),
        (
            "pw",
            "config.services.openssh.settings.PasswordAuthentication = true;",
        ),
        (
            "wheel",
            "config.users.users.alice.extraGroups = [ \"users\" \"wheel\" ];",
        ),
        ("nofw", "config.networking.firewall.enable = false;"),
        (
            "harmless",
            "config.environment.packages = [ { name = \"openssh\"; version = \"9.7\"; size = 2000; } { name = \"nginx\"; version = \"1.25\"; size = 6000; } ];",
        ),
        ("bare", "config.motd = \"hello\";"),
        (
            "broken",
            "config.services.broken = throw \"broken at head\";",
        ),
        ("added", ""),
    ];
    for (h, extra) in edits {
        write(
            root,
            &format!("hosts/{h}.nix"),
            &host_file(h, h != "bare", extra),
        );
    }
    let head_hosts: Vec<&str> = edits.iter().map(|(h, _)| *h).collect();
    write(root, "flake.nix", &flake(&head_hosts));
    git(root, &["rm", "-q", "hosts/removed.nix"]);
    git(root, &["add", "-A"]);
    Repo {
        dir,
        nix_marker: unique("nix"),
        base,
    }
}

impl Repo {
    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn openspec(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_openspec"))
            .current_dir(self.path())
            .env("NIX_CONFIG", nix_config(&self.nix_marker))
            .env("NO_COLOR", "1")
            .envs(git_env())
            .args(args)
            .output()
            .expect("openspec runs")
    }

    fn nix(&self, args: &[&str]) -> String {
        let out = Command::new("nix")
            .env("NIX_CONFIG", nix_config(&self.nix_marker))
            .args(args)
            .output()
            .expect("nix runs");
        assert!(
            out.status.success(),
            "nix {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    /// The closure size of `path` as `nix path-info -S --json` says it.
    fn closure_size(&self, path: &str) -> u64 {
        let doc: Value =
            serde_json::from_str(&self.nix(&["path-info", "-S", "--json", path])).unwrap();
        let entry = match &doc {
            Value::Array(a) => a[0].clone(),
            Value::Object(m) => m.values().next().unwrap().clone(),
            _ => panic!("{doc}"),
        };
        entry["closureSize"].as_u64().unwrap()
    }
}

fn json_of(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not one JSON document ({e}):\n{}\nstderr:\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

fn changes(doc: &Value, name: &str) -> Vec<(String, String)> {
    let h = host(doc, name);
    h["security"]["changes"]
        .as_array()
        .unwrap_or_else(|| panic!("{h:#}"))
        .iter()
        .map(|c| {
            (
                c["judgement"].as_str().unwrap().to_string(),
                c["message"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn pair(j: &str, m: &str) -> Vec<(String, String)> {
    vec![(j.to_string(), m.to_string())]
}

#[test]
fn each_edit_is_judged_and_closures_match_nix_path_info() {
    let r = repo();
    let out = r.openspec(&[
        "nixos-check",
        "--all-hosts",
        "--base",
        &r.base,
        "--keep-going",
        "--jobs",
        "2",
        "--json",
    ]);
    // `broken` fails to evaluate at head: exit 1, everything else reported.
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc = json_of(&out);
    assert_eq!(
        changes(&doc, "open"),
        pair("loosened", "TCP port 8080 opened")
    );
    assert_eq!(
        changes(&doc, "close"),
        pair("tightened", "TCP port 443 closed")
    );
    assert_eq!(
        changes(&doc, "pw"),
        pair(
            "loosened",
            "services.openssh.settings.PasswordAuthentication enabled"
        )
    );
    assert_eq!(
        changes(&doc, "wheel"),
        pair("loosened", "user alice added to group wheel")
    );
    assert_eq!(
        changes(&doc, "nofw"),
        pair("loosened", "networking.firewall.enable disabled")
    );
    // Harmless: the toplevel changed, the security facts did not.
    assert_eq!(changes(&doc, "harmless"), vec![]);
    // A host without any of the attributes: compared, nothing to report.
    let bare = &host(&doc, "bare")["security"];
    assert_eq!(bare["base"], "present", "{bare:#}");
    assert_eq!(bare["changes"], serde_json::json!([]));
    // Failing at head, added, removed: reported, no crash.
    let broken = host(&doc, "broken");
    assert_eq!(broken["status"], "eval-failed");
    assert_eq!(broken["security"]["head"], "error");
    assert!(
        broken["security"]["head_error"]
            .as_str()
            .unwrap()
            .contains("broken at head"),
        "{broken:#}"
    );
    // The added host is judged against its absence: what it opens loosens.
    let added = &host(&doc, "added")["security"];
    assert_eq!(added["base"], "absent", "{added:#}");
    assert_eq!(
        changes(&doc, "added"),
        vec![
            ("loosened".to_string(), "TCP port 22 opened".to_string()),
            (
                "loosened".to_string(),
                "services.openssh.enable enabled".to_string()
            ),
            (
                "loosened".to_string(),
                "user alice added (groups: users)".to_string()
            ),
        ]
    );
    let c = &host(&doc, "added")["closure"];
    assert_eq!(c["added"], true, "{c:#}");
    assert_eq!(c["base_bytes"], 0);
    assert_eq!(
        c["head_bytes"].as_u64(),
        Some(r.closure_size(host(&doc, "added")["out_path"].as_str().unwrap()))
    );
    assert!(
        c["packages"]["added"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["name"] == "openssh" && p["head"] == serde_json::json!(["9.6"])),
        "{c:#}"
    );
    assert_eq!(doc["diff"]["hosts_added"], serde_json::json!(["added"]));
    assert_eq!(doc["diff"]["hosts_removed"], serde_json::json!(["removed"]));
    assert_eq!(doc["diff"]["base"], r.base.as_str());
    // Loosenings mark the change security-model and are listed.
    assert_eq!(doc["diff"]["security_model"], true);
    assert_eq!(doc["categories"], serde_json::json!(["security-model"]));
    let mut loosened: Vec<&str> = doc["diff"]["loosened"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["host"].as_str().unwrap())
        .collect();
    loosened.dedup();
    assert_eq!(loosened, ["added", "nofw", "open", "pw", "wheel"]);
    // The head facts came from the drvPath evaluators: no head call of their own.
    assert_eq!(doc["diff"]["head_eval_seconds"], 0.0);

    // Closures: both sides measured, equal to what nix path-info says.
    let c = &host(&doc, "harmless")["closure"];
    let head_out = host(&doc, "harmless")["out_path"].as_str().unwrap();
    let base_out = c["base_out"].as_str().unwrap();
    assert_ne!(head_out, base_out);
    let (hb, bb) = (r.closure_size(head_out), r.closure_size(base_out));
    assert_eq!(c["head_bytes"].as_u64(), Some(hb), "{c:#}");
    assert_eq!(c["base_bytes"].as_u64(), Some(bb), "{c:#}");
    assert_eq!(c["change_bytes"].as_i64(), Some(hb as i64 - bb as i64));
    assert!(hb > bb + 6000, "{hb} {bb}");
    let pct = c["change_percent"].as_f64().unwrap();
    assert!((pct - (hb as f64 - bb as f64) * 100.0 / bb as f64).abs() < 1e-9);
    let added: Vec<&str> = c["paths_added"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap())
        .collect();
    assert!(
        added.iter().any(|p| p.ends_with("-nginx-1.25")),
        "{added:?}"
    );
    assert!(added.contains(&head_out));
    let pk = &c["packages"];
    assert_eq!(pk["added"][0]["name"], "nginx", "{pk:#}");
    assert_eq!(pk["changed"][0]["name"], "openssh");
    assert_eq!(pk["changed"][0]["base"], serde_json::json!(["9.6"]));
    assert_eq!(pk["changed"][0]["head"], serde_json::json!(["9.7"]));
    // What the build ran, as Nix announced it: the new packages and the toplevel.
    let built: Vec<&str> = host(&doc, "harmless")["derivations_built"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_str().unwrap())
        .collect();
    assert!(
        built.iter().any(|d| d.ends_with("-nginx-1.25.drv")),
        "{built:?}"
    );
    assert!(built.contains(&host(&doc, "harmless")["drv_path"].as_str().unwrap()));
    // The unchanged closure of `open` only swaps its toplevel.
    let c = &host(&doc, "open")["closure"];
    assert_eq!(c["paths_added"].as_array().unwrap().len(), 1, "{c:#}");
    assert_eq!(c["paths_removed"].as_array().unwrap().len(), 1);

    // Human output: loosenings first.
    let out = r.openspec(&[
        "nixos-check",
        "--hosts",
        "close,open",
        "--base",
        &r.base,
        "--eval-only",
    ]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("SECURITY 1 loosening(s)"), "{text}");
    assert!(
        text.contains("open: TCP port 8080 opened (networking.firewall.allowedTCPPorts)"),
        "{text}"
    );
    assert!(
        text.contains("close: tightened TCP port 443 closed"),
        "{text}"
    );
}

#[test]
fn closure_growth_beyond_the_threshold_fails_naming_host_and_size() {
    let r = repo();
    let args = |max: &'static str| {
        vec![
            "nixos-check".to_string(),
            "--hosts".into(),
            "harmless,open".into(),
            "--base".into(),
            r.base.clone(),
            "--max-closure-growth".into(),
            max.into(),
        ]
    };
    let a = args("5");
    let out = r.openspec(&a.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("harmless: closure grew by") && err.contains("above --max-closure-growth 5%"),
        "{err}"
    );
    assert!(!err.contains("open: closure"), "{err}");
    let a = args("100000");
    let out = r.openspec(&a.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Without a base there is nothing to measure growth against.
    let out = r.openspec(&[
        "nixos-check",
        "--hosts",
        "open",
        "--max-closure-growth",
        "5",
    ]);
    assert_eq!(out.status.code(), Some(2));
}

/// The Markdown report for a pull-request comment, as a snapshot: loosenings
/// first, a row per host (status, security, closure), details per host.
#[test]
fn markdown_report_for_a_pull_request() {
    let r = repo();
    let out = r.openspec(&[
        "nixos-check",
        "--hosts",
        "open,close,harmless,bare,broken,added",
        "--base",
        &r.base,
        "--keep-going",
        "--jobs",
        "1",
        "--format",
        "markdown",
    ]);
    assert_eq!(out.status.code(), Some(1));
    // stdout only: the progress lines on stderr interleave differently per run.
    let rendered = format!(
        "exit_code: {:?}\n----- stdout -----\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout)
    );
    let mut settings = insta::Settings::clone_current();
    settings.add_filter(&snapshot_support::regex_escape(&r.base), "[BASE]");
    settings.add_filter(
        &snapshot_support::regex_escape(&r.path().display().to_string()),
        "[ROOT]",
    );
    for (re, with) in snapshot_support::GENERIC_FILTERS {
        settings.add_filter(re, *with);
    }
    settings.set_omit_expression(true);
    settings.set_description("nixos-check --hosts open,close,harmless,bare,broken,added --base [BASE] --keep-going --jobs 1 --format markdown");
    settings.bind(|| insta::assert_snapshot!("check_markdown_report", rendered));
}

/// `--format jsonl`: every stdout line is one JSON object, in event order.
#[test]
fn jsonl_streams_one_object_per_event() {
    let r = repo();
    let out = r.openspec(&[
        "nixos-check",
        "--hosts",
        "open,broken,harmless",
        "--base",
        &r.base,
        "--keep-going",
        "--jobs",
        "1",
        "--format",
        "jsonl",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    let events: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l:?}\n{text}")))
        .collect();
    let kinds: Vec<(String, String)> = events
        .iter()
        .map(|e| {
            (
                e["event"].as_str().unwrap().to_string(),
                e["host"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    let k = |e: &str, h: &str| (e.to_string(), h.to_string());
    for host in ["open", "harmless"] {
        let ev = kinds
            .iter()
            .position(|x| *x == k("evaluated", host))
            .unwrap();
        let fin = kinds
            .iter()
            .position(|x| *x == k("finished", host))
            .unwrap();
        let cmp = kinds
            .iter()
            .position(|x| *x == k("compared", host))
            .unwrap();
        assert!(ev < fin && fin < cmp, "{kinds:?}");
    }
    let broken = events
        .iter()
        .find(|e| e["event"] == "finished" && e["host"] == "broken")
        .unwrap();
    assert_eq!(broken["status"], "eval-failed");
    assert!(!kinds.contains(&k("evaluated", "broken")), "{kinds:?}");
    let last = events.last().unwrap();
    assert_eq!(last["event"], "summary");
    assert_eq!(last["ok"], false);
    assert_eq!(last["summary"]["failed"], 1);
    assert_eq!(last["diff"]["loosened"][0]["host"], "open");
    let compared = events
        .iter()
        .find(|e| e["event"] == "compared" && e["host"] == "open")
        .unwrap();
    assert_eq!(compared["security"]["changes"][0]["judgement"], "loosened");
    assert_eq!(
        events.iter().filter(|e| e["event"] == "finished").count(),
        3,
        "one finished event per host: {kinds:?}"
    );
}

/// `--plan`: per host what a build would build, the derivation and package
/// diff and the security diff against the base; nothing is built.
#[test]
fn plan_shows_builds_packages_and_security_and_builds_nothing() {
    let r = repo();
    let args = [
        "nixos-check",
        "--plan",
        "--hosts",
        "harmless,open,broken",
        "--base",
        &r.base,
        "--json",
    ];
    let out = r.openspec(&args);
    assert_eq!(out.status.code(), Some(1), "broken cannot be planned");
    let doc = json_of(&out);
    assert_eq!(doc["plan"], true);
    let harmless = host(&doc, "harmless");
    let builds: Vec<&str> = harmless["will_build"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap())
        .collect();
    assert!(
        builds.iter().any(|p| p.ends_with("-nginx-1.25.drv")),
        "{builds:?}"
    );
    assert!(builds.contains(&harmless["drv_path"].as_str().unwrap()));
    assert_eq!(harmless["changed"], true);
    assert_eq!(
        harmless["packages"]["added"][0]["name"], "nginx",
        "{harmless:#}"
    );
    assert_eq!(harmless["packages"]["changed"][0]["name"], "openssh");
    assert_eq!(harmless["security"]["changes"], serde_json::json!([]));
    let open = host(&doc, "open");
    assert_eq!(open["security"]["changes"][0]["judgement"], "loosened");
    assert_eq!(doc["categories"], serde_json::json!(["security-model"]));
    let broken = host(&doc, "broken");
    assert!(
        broken["error"].as_str().unwrap().contains("broken at head"),
        "{broken:#}"
    );
    // Nothing was built: the same plan again still has everything to build.
    let again = json_of(&r.openspec(&args));
    assert_eq!(
        host(&again, "harmless")["will_build"],
        harmless["will_build"]
    );
    // Text: the loosening first, then the plan.
    let out = r.openspec(&[
        "nixos-check",
        "--plan",
        "--hosts",
        "open",
        "--base",
        &r.base,
    ]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("SECURITY 1 loosening(s)"), "{text}");
    assert!(text.contains("derivation(s) to build"), "{text}");
}

/// `impact --verify --why` on the bundled example: for each confirmed host,
/// the value inside the derivation that changed, with both values, not a
/// shared prefix of a long attribute.
#[test]
fn why_names_the_changed_value_on_the_example() {
    let dir = tempfile::Builder::new()
        .prefix("openspec-why-")
        .tempdir()
        .unwrap();
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/example");
    let status = Command::new("cp")
        .arg("-r")
        .arg(format!("{}/.", src.display()))
        .arg(dir.path())
        .status()
        .unwrap();
    assert!(status.success());
    git(dir.path(), &["init", "-q", "-b", "main"]);
    git(dir.path(), &["add", "-A"]);
    git(dir.path(), &["commit", "-q", "-m", "example"]);
    let ssh = dir.path().join("modules/security/ssh.nix");
    let text = std::fs::read_to_string(&ssh).unwrap();
    std::fs::write(
        &ssh,
        text.replace(
            "settings.PasswordAuthentication = false;",
            "settings.PasswordAuthentication = true;",
        ),
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_openspec"))
        .current_dir(dir.path())
        .env("NIX_CONFIG", nix_config(&unique("why")))
        .envs(git_env())
        .args(["impact", "--base", "HEAD", "--verify", "--why", "--json"])
        .output()
        .unwrap();
    let doc = json_of(&out);
    let confirmed = doc["verify"]["confirmed"].as_array().unwrap();
    assert!(!confirmed.is_empty(), "{doc:#}");
    for name in confirmed {
        let h = doc["verify"]["hosts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|h| &h["name"] == name)
            .unwrap();
        let diffs = h["why"]["differences"].as_array().unwrap();
        let ssh = diffs
            .iter()
            .find(|d| {
                d["path"]
                    .as_str()
                    .is_some_and(|p| p.contains("services.openssh.settings.PasswordAuthentication"))
            })
            .unwrap_or_else(|| panic!("{name}: {diffs:#?}"));
        assert_eq!(ssh["base"], "false", "{ssh:#}");
        assert_eq!(ssh["head"], "true", "{ssh:#}");
        // No difference shows the same text on both sides.
        assert!(diffs.iter().all(|d| d["base"] != d["head"]), "{diffs:#?}");
    }
}

/// A loosening marks the change security-model in its tracking file (for the
/// review gate), beside the verification counts; a harmless edit does not.
#[test]
fn a_loosening_marks_the_change_security_model() {
    let r = repo();
    let tracking = r.path().join("openspec/changes/c1/tracking.json");
    std::fs::write(
        &tracking,
        r#"{"kind": "change", "state": "implementing", "created": "2026-01-01T00:00:00Z", "note": "kept"}"#,
    )
    .unwrap();
    let read =
        || -> Value { serde_json::from_str(&std::fs::read_to_string(&tracking).unwrap()).unwrap() };
    let out = r.openspec(&[
        "nixos-check",
        "c1",
        "--hosts",
        "harmless,close",
        "--base",
        &r.base,
        "--eval-only",
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let t = read();
    assert_eq!(t["verification"]["succeeded"], 2, "{t:#}");
    assert!(t.get("categories").is_none(), "{t:#}");
    let out = r.openspec(&[
        "nixos-check",
        "c1",
        "--hosts",
        "wheel",
        "--base",
        &r.base,
        "--eval-only",
    ]);
    assert_eq!(out.status.code(), Some(0));
    let t = read();
    assert_eq!(
        t["categories"],
        serde_json::json!(["security-model"]),
        "{t:#}"
    );
    assert_eq!(t["note"], "kept");
}

/// One evaluation per host and side: the head's security facts come from
/// the evaluator that reports its drvPath, the base's from one call per
/// chunk that also returns the base drvPaths. Counted from the processes
/// Nix runs (a wrapper on PATH records each call, then runs the real Nix).
#[test]
fn security_facts_add_no_evaluation_per_host() {
    let r = repo();
    let bin = tempfile::tempdir().unwrap();
    let calls = bin.path().join("calls");
    let real = String::from_utf8(
        Command::new("sh")
            .args(["-c", "command -v nix"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap()
    .trim()
    .to_string();
    write(
        bin.path(),
        "nix",
        &format!(
            "#!/bin/sh\n# one line per call: the subcommand and the installable\nprintf '%s %s\\n' \"$1\" \"$4\" >> '{}'\nexec '{real}' \"$@\"\n",
            calls.display()
        ),
    );
    std::fs::set_permissions(
        bin.path().join("nix"),
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    let path = format!(
        "{}:{}",
        bin.path().display(),
        std::env::var("PATH").unwrap()
    );
    let hosts = "open,close,pw,wheel";
    let out = Command::new(env!("CARGO_BIN_EXE_openspec"))
        .current_dir(r.path())
        .env("NIX_CONFIG", nix_config(&r.nix_marker))
        .env("PATH", &path)
        .envs(git_env())
        .args([
            "nixos-check",
            "--hosts",
            hosts,
            "--base",
            &r.base,
            "--eval-only",
            "--jobs",
            "2",
            "--json",
        ])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc = json_of(&out);
    assert_eq!(
        changes(&doc, "open"),
        pair("loosened", "TCP port 8080 opened")
    );
    let log = std::fs::read_to_string(&calls).unwrap();
    let evals: Vec<&str> = log.lines().filter(|l| l.starts_with("eval ")).collect();
    let head = format!("{}#nixosConfigurations", r.path().display());
    let count = |side: &dyn Fn(&str) -> bool| evals.iter().filter(|l| side(l)).count();
    // Per side: a listing of each host output (nixos, darwin) and one
    // evaluator per chunk of two hosts; nothing per host on top.
    assert_eq!(count(&|l| l.ends_with(&head)), 1 + 2, "{log}");
    assert_eq!(
        count(&|l| l.contains("git+file://") && l.ends_with("#nixosConfigurations")),
        1 + 2,
        "{log}"
    );
    assert_eq!(count(&|l| l.ends_with("#darwinConfigurations")), 2, "{log}");
    assert_eq!(evals.len(), 8, "{log}");
}

/// `--plan --format markdown` as a snapshot, and `--plan --format jsonl`
/// read line by line: a `planned` event per host, then the summary.
#[test]
fn plan_as_markdown_and_json_lines() {
    let r = repo();
    let out = r.openspec(&[
        "nixos-check",
        "--plan",
        "--hosts",
        "harmless,open,added",
        "--base",
        &r.base,
        "--format",
        "markdown",
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rendered = format!(
        "exit_code: {:?}\n----- stdout -----\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout)
    );
    let mut settings = insta::Settings::clone_current();
    settings.add_filter(&snapshot_support::regex_escape(&r.base), "[BASE]");
    for (re, with) in snapshot_support::GENERIC_FILTERS {
        settings.add_filter(re, *with);
    }
    settings.set_omit_expression(true);
    settings.set_description(
        "nixos-check --plan --hosts harmless,open,added --base [BASE] --format markdown",
    );
    settings.bind(|| insta::assert_snapshot!("check_plan_markdown", rendered));

    let out = r.openspec(&[
        "nixos-check",
        "--plan",
        "--hosts",
        "harmless,open,broken",
        "--base",
        &r.base,
        "--format",
        "jsonl",
    ]);
    assert_eq!(out.status.code(), Some(1), "broken cannot be planned");
    let text = String::from_utf8(out.stdout).unwrap();
    let events: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l:?}\n{text}")))
        .collect();
    let kinds: Vec<(&str, &str)> = events
        .iter()
        .map(|e| {
            (
                e["event"].as_str().unwrap(),
                e["host"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        [
            ("planned", "harmless"),
            ("planned", "open"),
            ("planned", "broken"),
            ("summary", "")
        ]
    );
    assert_eq!(events[0]["plan"]["why"], "named by --hosts");
    assert_eq!(events[0]["plan"]["packages"]["added"][0]["name"], "nginx");
    assert_eq!(
        events[1]["plan"]["security"]["changes"][0]["judgement"],
        "loosened"
    );
    assert!(
        events[2]["plan"]["error"]
            .as_str()
            .unwrap()
            .contains("broken at head")
    );
    assert_eq!(events[3]["ok"], false);
    assert_eq!(
        events[3]["categories"],
        serde_json::json!(["security-model"])
    );
}
