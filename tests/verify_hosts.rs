//! `nixos-check` over every kind of host, through real Nix on fixture flakes:
//! darwin hosts (a stand-in `darwinSystem` returning `system` and
//! `config.system.build.toplevel` as nix-darwin does), host names with dots
//! and dashes, the `--hosts` check before anything runs, why each host was
//! chosen, and the command line's own errors.
mod verify_support;

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;
use verify_support::{git, git_env, host, nix_config, unique, write};

/// A stand-in for nixpkgs' `lib.nixosSystem` and nix-darwin's
/// `darwinSystem`: modules (with imports) merged into `config`, one toplevel
/// derivation by /bin/sh. `darwinSystem` returns the toplevel as `system`
/// (and, with `exposeToplevel`, also as `config.system.build.toplevel`).
const LIB: &str = r#"let
  merge = a: b:
    a // builtins.mapAttrs
      (n: v: if builtins.isAttrs v && builtins.isAttrs (a.${n} or null) then merge a.${n} v else v)
      b;
  load = m: if builtins.isPath m then import m else m;
  walk = ms: builtins.concatMap (m: let v = load m; in walk (v.imports or [ ]) ++ [ v ]) ms;
  configOf = modules: builtins.foldl' (acc: m: merge acc (m.config or { })) { } (walk modules);
  toplevel = name: system: marker: cfg: derivation {
    inherit name system marker;
    builder = "/bin/sh";
    args = [ "-c" "echo \"$config\" > $out" ];
    config = builtins.toJSON cfg;
  };
in
{
  # `breakFacts`: `security` aborts when read (the toplevel does not read it),
  # so only an evaluation of the security facts dies.
  nixosSystem = { modules, marker }:
    let
      cfg = configOf modules;
      broken = if cfg.breakFacts or false then { security = abort "the facts break here"; } else { };
    in { config = cfg // broken // { system.build.toplevel = toplevel "nixos-system-${cfg.networking.hostName}" "x86_64-linux" marker cfg; }; };
  darwinSystem = { modules, marker, system ? "aarch64-darwin", exposeToplevel ? false }:
    let
      cfg = configOf modules;
      top = toplevel "darwin-system-${cfg.networking.hostName}" system marker cfg;
    in
    {
      config = if exposeToplevel then cfg // { system.build.toplevel = top; } else cfg;
      system = top;
    };
}
"#;

struct Repo {
    dir: tempfile::TempDir,
    nix_marker: String,
    base: String,
}

/// The host file: a firewall with `ports` open.
fn host_file(name: &str, ports: &str) -> String {
    format!(
        "{{\n  config.networking.hostName = \"{name}\";\n  config.networking.firewall = {{ enable = true; allowedTCPPorts = [ {ports} ]; }};\n}}\n"
    )
}

/// `nixos` hosts `web.example-1` and `db-2`; darwin hosts `mac.local`
/// (aarch64-darwin: cannot build here), `mini-builder` (its toplevel only
/// as `system`, for this machine's platform) and `studio.lan`
/// (`config.system.build.toplevel`, for this machine's platform). With
/// `extra`, one more entry (a host added at the head).
fn flake(extra: &str) -> String {
    format!(
        r#"{{
  outputs = {{ self }}:
    let lib = import ./lib/systems.nix; marker = import ./marker.nix;
    in {{
      nixosConfigurations = {{
        "web.example-1" = lib.nixosSystem {{ inherit marker; modules = [ ./hosts/web.example-1.nix ]; }};
        db-2 = lib.nixosSystem {{ inherit marker; modules = [ ./hosts/db-2.nix ]; }};
{extra}      }};
      darwinConfigurations = {{
        "mac.local" = lib.darwinSystem {{ inherit marker; modules = [ ./hosts/mac.local.nix ]; }};
        mini-builder = lib.darwinSystem {{ inherit marker; system = "x86_64-linux"; modules = [ ./hosts/mini-builder.nix ]; }};
        "studio.lan" = lib.darwinSystem {{ inherit marker; system = "x86_64-linux"; exposeToplevel = true; modules = [ ./hosts/studio.lan.nix ]; }};
      }};
    }};
}}
"#
    )
}

const HOSTS: [&str; 5] = [
    "web.example-1",
    "db-2",
    "mac.local",
    "mini-builder",
    "studio.lan",
];

/// Base commit with every host opening port 22; the working tree opens 8080
/// on `mac.local` and adds `new.host` (port 80 and a user in wheel).
fn repo_in(parent: Option<&Path>) -> Repo {
    let mut b = tempfile::Builder::new();
    b.prefix("openspec-hosts-");
    let dir = match parent {
        Some(p) => b.tempdir_in(p),
        None => b.tempdir(),
    }
    .expect("temp dir");
    let root = dir.path();
    write(root, "lib/systems.nix", LIB);
    write(root, "marker.nix", &format!("\"{}\"\n", unique("hosts")));
    for h in HOSTS {
        write(root, &format!("hosts/{h}.nix"), &host_file(h, "22"));
    }
    write(root, "flake.nix", &flake(""));
    write(root, "openspec/changes/c1/proposal.md", "# c1\n");
    git(root, &["init", "-q", "-b", "main"]);
    git(root, &["add", "-A"]);
    git(root, &["commit", "-q", "-m", "base"]);
    let base = String::from_utf8(
        Command::new("git")
            .arg("-C")
            .arg(root)
            .args(["rev-parse", "HEAD"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap()
    .trim()
    .to_string();
    write(
        root,
        "hosts/mac.local.nix",
        &host_file("mac.local", "22 8080"),
    );
    write(
        root,
        "hosts/new.host.nix",
        "{\n  config.networking.hostName = \"new.host\";\n  config.networking.firewall = { enable = true; allowedTCPPorts = [ 80 ]; };\n  config.users.users.bob = { isNormalUser = true; extraGroups = [ \"wheel\" ]; };\n}\n",
    );
    write(
        root,
        "flake.nix",
        &flake(
            "        \"new.host\" = lib.nixosSystem { inherit marker; modules = [ ./hosts/new.host.nix ]; };\n",
        ),
    );
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
        self.openspec_with(args, &[])
    }

    fn openspec_with(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_openspec"))
            .current_dir(self.path())
            .env("NIX_CONFIG", nix_config(&self.nix_marker))
            .env("NO_COLOR", "1")
            .envs(git_env())
            .envs(env.iter().copied())
            .args(args)
            .output()
            .expect("openspec runs")
    }

    fn verification(&self) -> std::path::PathBuf {
        self.path().join("openspec/changes/c1/verification")
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

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Every host, darwin ones included: those for this platform are built
/// (through `system` or through `config.system.build.toplevel`), the
/// aarch64-darwin one is evaluated and reported skipped with the reason;
/// dotted and dashed names reach Nix quoted.
#[test]
fn all_hosts_include_darwin_and_dotted_names() {
    let r = repo_in(None);
    let out = r.openspec(&["nixos-check", "c1", "--all-hosts", "--jobs", "2", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let doc = json_of(&out);
    let names: Vec<&str> = doc["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "db-2",
            "new.host",
            "web.example-1",
            "mac.local",
            "mini-builder",
            "studio.lan"
        ]
    );
    for (name, kind) in [
        ("web.example-1", "nixos"),
        ("db-2", "nixos"),
        ("new.host", "nixos"),
        ("mini-builder", "darwin"),
        ("studio.lan", "darwin"),
    ] {
        let h = host(&doc, name);
        assert_eq!(h["status"], "built", "{h:#}");
        assert_eq!(h["kind"], kind, "{h:#}");
        assert_eq!(h["system"], "x86_64-linux", "{h:#}");
        let out = h["out_path"].as_str().unwrap();
        assert!(out.ends_with(&format!("-system-{name}")), "{out}");
        assert!(Path::new(out).exists());
    }
    let mac = host(&doc, "mac.local");
    assert_eq!(mac["kind"], "darwin");
    assert_eq!(mac["status"], "skipped", "{mac:#}");
    assert_eq!(mac["system"], "aarch64-darwin");
    assert!(
        mac["drv_path"]
            .as_str()
            .unwrap()
            .ends_with("-darwin-system-mac.local.drv")
    );
    let why = mac["reason"].as_str().unwrap();
    assert!(
        why.contains("built for aarch64-darwin") && why.contains("--builders"),
        "{why}"
    );
    assert_eq!(doc["summary"]["skipped"], 1);
    assert_eq!(doc["summary"]["succeeded"], 5);

    // Text: the skipped host and its reason are on stdout.
    let out = r.openspec(&[
        "nixos-check",
        "--hosts",
        "mac.local,studio.lan",
        "--eval-only",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let out = r.openspec(&["nixos-check", "--hosts", "mac.local"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("1 skipped")
            && text.contains("mac.local skipped: its toplevel is built for aarch64-darwin"),
        "{text}"
    );
}

/// With a base: the darwin host's opened port is judged from the same
/// evaluation, the host new at the head is judged against its absence (its
/// port and wheel user loosen) and its closure is all new.
#[test]
fn darwin_and_added_hosts_are_judged_against_the_base() {
    let r = repo_in(None);
    let out = r.openspec(&[
        "nixos-check",
        "--hosts",
        "mac.local,new.host,studio.lan",
        "--base",
        &r.base,
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let doc = json_of(&out);
    let sec = &host(&doc, "mac.local")["security"];
    assert_eq!(
        sec["changes"][0]["message"], "TCP port 8080 opened",
        "{sec:#}"
    );
    assert_eq!(sec["changes"][0]["judgement"], "loosened");
    assert_eq!(
        host(&doc, "studio.lan")["security"]["changes"],
        serde_json::json!([])
    );
    let new = host(&doc, "new.host");
    assert_eq!(new["security"]["base"], "absent", "{new:#}");
    assert_eq!(new["security"]["head"], "present");
    let msgs: Vec<(&str, &str)> = new["security"]["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["judgement"].as_str().unwrap(),
                c["message"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        msgs,
        [
            ("loosened", "TCP port 80 opened"),
            ("loosened", "user bob added (groups: wheel)")
        ]
    );
    let c = &new["closure"];
    assert_eq!(c["added"], true, "{c:#}");
    assert_eq!(c["base_bytes"], 0);
    assert_eq!(c["change_bytes"], c["head_bytes"]);
    assert!(c["change_percent"].is_null());
    assert_eq!(c["paths_added"][0], new["out_path"]);
    assert_eq!(doc["diff"]["hosts_added"], serde_json::json!(["new.host"]));
    assert_eq!(
        doc["diff"]["head_eval_seconds"], 0.0,
        "head facts came with the drvPaths"
    );
    let loosened: Vec<&str> = doc["diff"]["loosened"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["host"].as_str().unwrap())
        .collect();
    assert_eq!(loosened, ["mac.local", "new.host", "new.host"]);
}

/// Names given by hand are checked before anything runs, with the closest
/// name; under --dry-run too (against the static model).
#[test]
fn unknown_host_names_stop_before_anything_runs() {
    let r = repo_in(None);
    for extra in [&[][..], &["--dry-run"][..]] {
        let mut args = vec![
            "nixos-check",
            "c1",
            "--hosts",
            "web.example-1,mac.locl",
            "--json",
        ];
        args.extend_from_slice(extra);
        let out = r.openspec(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        let doc = json_of(&out);
        let msg = doc["error"]["message"].as_str().unwrap();
        assert!(
            msg.contains("unknown host(s) in --hosts: \"mac.locl\"; did you mean \"mac.local\"?")
                && msg.contains("nothing was run"),
            "{msg}"
        );
        assert_eq!(doc["hosts"], serde_json::json!([]));
        assert!(!r.verification().exists(), "{args:?} wrote a verification");
    }
    // Text mode: the message on stderr, nothing on stdout.
    let out = r.openspec(&["nixos-check", "--hosts", "db2"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("did you mean \"db-2\"?"),
        "{}",
        stderr(&out)
    );
    assert!(out.stdout.is_empty());
}

/// The plan says why each host was chosen: the changed file that affects
/// it, an added host, `--hosts`, `--all-hosts`.
#[test]
fn the_plan_says_why_each_host_was_chosen() {
    let r = repo_in(None);
    let out = r.openspec(&[
        "nixos-check",
        "c1",
        "--base",
        &r.base,
        "--dry-run",
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let doc = json_of(&out);
    let why: Vec<(String, String, String)> = doc["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            (
                h["name"].as_str().unwrap().to_string(),
                h["kind"].as_str().unwrap().to_string(),
                h["why"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert!(
        why.contains(&(
            "mac.local".into(),
            "darwin".into(),
            "affected by hosts/mac.local.nix".into()
        )),
        "{why:?}"
    );
    let new = why.iter().find(|(n, _, _)| n == "new.host").unwrap();
    assert!(new.2.contains("added since the base"), "{why:?}");
    assert!(!why.iter().any(|(n, _, _)| n == "db-2"), "{why:?}");
    let mac = host(&doc, "mac.local");
    assert!(
        mac["commands"][0]
            .as_str()
            .unwrap()
            .contains("#darwinConfigurations"),
        "{mac:#}"
    );
    // With a base, the same evaluator reports the security facts.
    assert!(
        mac["commands"][0]
            .as_str()
            .unwrap()
            .contains("openspec-facts"),
        "{mac:#}"
    );
    let out = r.openspec(&["nixos-check", "--all-hosts", "--dry-run"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("studio.lan (darwin; --all-hosts)"), "{text}");
    let out = r.openspec(&["nixos-check", "--hosts", "db-2", "--dry-run"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("db-2 (nixos; named by --hosts)"), "{text}");
    // --plan: the darwin host for another platform is planned, and marked
    // as one a check would skip.
    let out = r.openspec(&[
        "nixos-check",
        "--plan",
        "--hosts",
        "mac.local,studio.lan",
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let doc = json_of(&out);
    let mac = host(&doc, "mac.local");
    assert_eq!(mac["system"], "aarch64-darwin", "{mac:#}");
    assert!(
        mac["reason"].as_str().unwrap().contains("a check skips it"),
        "{mac:#}"
    );
    assert!(host(&doc, "studio.lan")["reason"].is_null());
}

/// The command line's own errors: a negative growth threshold is a usage
/// error; `--format json` prints errors as JSON and `--format jsonl` as an
/// `error` event, without `--json`.
#[test]
fn usage_errors_follow_the_format() {
    let r = repo_in(None);
    let out = r.openspec(&[
        "nixos-check",
        "--hosts",
        "db-2",
        "--base",
        &r.base,
        "--max-closure-growth",
        "-5",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("not a percentage of growth"),
        "{}",
        stderr(&out)
    );
    let out = r.openspec(&["nixos-check", "--hosts", "nosuch", "--format", "json"]);
    assert_eq!(out.status.code(), Some(2));
    let doc = json_of(&out);
    assert!(
        doc["error"]["message"]
            .as_str()
            .unwrap()
            .contains("unknown host"),
        "{doc:#}"
    );
    assert_eq!(doc["error"]["exit_code"], 2);
    let out = r.openspec(&["nixos-check", "--hosts", "nosuch", "--format", "jsonl"]);
    assert_eq!(out.status.code(), Some(2));
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 1, "{text}");
    assert_eq!(lines[0]["event"], "error");
    assert_eq!(lines[0]["exit_code"], 2);
    let out = r.openspec(&[
        "nixos-check",
        "--hosts",
        "db-2",
        "--max-closure-growth",
        "5",
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        json_of(&out)["error"]["message"]
            .as_str()
            .unwrap()
            .contains("needs a base revision")
    );
}

/// A repository whose path holds a space, `#` and `%`: the base revision's
/// flake reference is percent-encoded, and real Nix reads the commit
/// through it. (Nix 2.8 cannot evaluate such a working tree itself, so the
/// head side is not run here.)
#[test]
fn a_base_in_a_directory_with_special_characters() {
    let parent = tempfile::Builder::new()
        .prefix("openspec hosts #1 %20 ")
        .tempdir()
        .unwrap();
    let r = repo_in(Some(parent.path()));
    let git_ref = openspec::git::ref_containing(r.path(), &r.base).unwrap();
    assert_eq!(git_ref.as_deref(), Some("HEAD"));
    let url =
        openspec::verify::diff::git_flake_url(r.path(), Path::new(""), &r.base, git_ref.as_deref());
    assert!(url.contains("openspec%20hosts%20%231%20%2520%20"), "{url}");
    let out = Command::new("nix")
        .env("NIX_CONFIG", nix_config(&r.nix_marker))
        .args([
            "eval",
            "--json",
            &format!("{url}#darwinConfigurations"),
            "--apply",
            "builtins.attrNames",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let names: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        names,
        serde_json::json!(["mac.local", "mini-builder", "studio.lan"])
    );
}

/// An evaluator that dies while it evaluates a host's security facts (an
/// `abort`, which `tryEval` does not catch) costs that host its head facts
/// only: the host is still built, the diff says why its head side is
/// missing, and the next host of the same evaluator chunk is compared.
#[test]
fn facts_that_abort_cost_only_the_facts() {
    let r = repo_in(None);
    write(
        r.path(),
        "hosts/db-2.nix",
        "{\n  config.networking.hostName = \"db-2\";\n  config.breakFacts = true;\n}\n",
    );
    let out = r.openspec(&[
        "nixos-check",
        "--hosts",
        "db-2,web.example-1",
        "--base",
        &r.base,
        "--chunk-size",
        "2",
        "--jobs",
        "1",
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let doc = json_of(&out);
    let db = host(&doc, "db-2");
    assert_eq!(db["status"], "built", "{db:#}");
    assert_eq!(db["security"]["head"], "error", "{db:#}");
    assert!(
        db["security"]["head_error"]
            .as_str()
            .unwrap()
            .contains("the facts break here"),
        "{db:#}"
    );
    let web = host(&doc, "web.example-1");
    assert_eq!(web["status"], "built");
    assert_eq!(web["security"]["base"], "present", "{web:#}");
    assert_eq!(web["security"]["head"], "present");
}
