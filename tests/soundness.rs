//! Soundness of static impact analysis against real Nix (2.8+), on the
//! bundled example flake (tests/fixtures/example).
//!
//! The oracle copies the flake into a temporary git repository, then for
//! every tracked file (edited), every directory (a new file added) and every
//! gated module (a line added inside its `mkIf` body) records which hosts'
//! toplevel drvPaths change and which hosts' evaluations read the file.
//! `openspec impact --json` must name every such host (`--precise`: every
//! host whose drvPath changed), and `openspec hosts --json` must list the
//! file among each such host's dependencies.
//! Run with `cargo test --test soundness -- --nocapture` to see the tables.
mod soundness_support;

use std::collections::BTreeSet;
use std::ffi::OsString;
use std::sync::OnceLock;

use soundness_support::{Oracle, ProbeKind, ProbeTruth, Repo, fixture_dir, run, show};

fn oracle() -> &'static Oracle {
    static ORACLE: OnceLock<Oracle> = OnceLock::new();
    ORACLE.get_or_init(|| Oracle::compute(&fixture_dir()))
}

fn set(hosts: &[&str]) -> BTreeSet<String> {
    hosts.iter().map(|h| h.to_string()).collect()
}

const ALL: &[&str] = &["hetzner-vps", "ovh-vps", "yoga", "zephyrus"];

#[test]
fn example_flake_evaluates_and_builds() {
    let repo = Repo::copy_of(&fixture_dir());
    let hosts = repo.host_names();
    assert_eq!(hosts, set(ALL).into_iter().collect::<Vec<_>>());
    let outs = repo
        .build_all(&hosts)
        .unwrap_or_else(|e| panic!("building the example hosts failed:\n{e}"));
    assert_eq!(outs.len(), hosts.len(), "one output per host: {outs:?}");
    for out in &outs {
        assert!(std::path::Path::new(out).exists(), "{out} was not built");
    }
    // Nix must not need to write a lock file: the shipped one is complete.
    assert!(
        repo.git(&["status", "--porcelain", "flake.lock"])
            .is_empty(),
        "nix rewrote flake.lock"
    );
}

/// The oracle itself must tell gated, unreachable and data files apart;
/// otherwise a soundness pass would mean nothing.
#[test]
fn oracle_ground_truth_matches_the_fixture_design() {
    let o = oracle();
    print_truth(o);
    let edit = |p: &str| o.truth(ProbeKind::Edit, p);
    let add = |p: &str| o.truth(ProbeKind::Add, p);
    let enables_ssh = set(&["hetzner-vps", "ovh-vps", "yoga"]);

    // Gated module: imported by every host, changes only the hosts enabling it
    // (a leaf, a nested attrset, a mkDefault); zephyrus never enables it.
    assert_eq!(edit("modules/security/ssh.nix").changed, enables_ssh);
    assert_eq!(edit("modules/security/ssh.nix").readers, set(ALL));
    assert_eq!(edit("modules/security/keys/admin.pub").changed, enables_ssh);
    // Gated modules no host enables (dankmaterial: the upstream-name trap).
    for m in [
        "modules/development/zed.nix",
        "modules/ci/hercules.nix",
        "modules/desktop-shells/dankmaterial.nix",
    ] {
        assert!(
            edit(m).changed.is_empty(),
            "{m} changed {:?}",
            edit(m).changed
        );
        assert_eq!(edit(m).readers, set(ALL), "{m} is read by every host");
    }
    // Unreachable files: nobody reads them, nothing changes.
    for f in [
        "modules/legacy/broken.nix",
        "modules/legacy/empty.nix",
        "modules/desktop-shells/widgets.nix",
        "hosts/servers/contabo-vps/default.nix",
        "hosts/servers/ovh-vps/disko.nix",
        "tests-integration/default.nix",
        "tests-integration/shell.nix",
    ] {
        assert!(
            edit(f).changed.is_empty() && edit(f).readers.is_empty(),
            "{f}: {:?}",
            edit(f)
        );
    }
    // Ungated modules and the flake itself change every host.
    for f in [
        "flake.nix",
        "modules/packages/cli.nix",
        "modules/users/keys/alice.pub",
        "modules/auto/zram.nix",
    ] {
        assert_eq!(edit(f).changed, set(ALL), "{f}");
    }
    // A host pointing at another host's file.
    assert_eq!(
        edit("hosts/servers/hetzner-vps/disko.nix").changed,
        set(&["hetzner-vps", "ovh-vps"])
    );
    // Files only read: JSON through importJSON, a facter report, a .kdl source.
    assert_eq!(
        edit("hosts/servers/hetzner-vps/network.json").changed,
        set(&["hetzner-vps"])
    );
    assert_eq!(edit("hosts/yoga/yoga-facter.json").changed, set(&["yoga"]));
    assert_eq!(edit("home/alice/niri/config.kdl").changed, set(&["yoga"]));
    // The helper-built host depends on the helper and its neighbour file.
    assert_eq!(edit("lib/mk-host.nix").changed, set(&["zephyrus"]));
    assert_eq!(edit("lib/common-host.nix").changed, set(&["zephyrus"]));
    // Whole directories: `src = ./.` and the readDir auto-import folder.
    assert_eq!(
        add("hosts/yoga/scripts/openspec-probe.nix").changed,
        set(&["yoga"])
    );
    assert_eq!(
        add("hosts/yoga/scripts/openspec-probe.nix").readers,
        set(&["yoga"])
    );
    assert_eq!(
        add("modules/auto/openspec-probe.nix").changed,
        set(&["hetzner-vps", "ovh-vps", "yoga", "zephyrus"])
    );
    assert!(
        add("modules/security/openspec-probe.nix")
            .changed
            .is_empty()
    );
    // Files that do not exist yet but would change a host once created.
    assert_eq!(add("hosts/yoga/local.nix").changed, set(&["yoga"]));
    assert_eq!(
        add("modules/environment/motd/zephyrus.txt").changed,
        set(&["zephyrus"])
    );
    // Paths built from a literal list of host names: every key is everyone's.
    assert_eq!(
        edit("modules/security/keys/hosts/yoga.pub").changed,
        set(ALL)
    );
    // `with available; [ rust zed ]`: rust is enabled by zephyrus only.
    assert_eq!(
        edit("modules/development/rust.nix").changed,
        set(&["zephyrus"])
    );
    // The overlay is applied for every host; its package only reaches the hosts using it.
    assert_eq!(edit("overlays/default.nix").readers, set(ALL));
    let gui = set(&["yoga", "zephyrus"]);
    assert_eq!(edit("pkgs/wallpapers/panther.svg").changed, gui);
    assert_eq!(add("pkgs/wallpapers/openspec-probe.nix").changed, gui);
    // An edit inside a gate reaches exactly the hosts that open it.
    let gate = |p: &str| o.truth(ProbeKind::GateBody, p);
    assert_eq!(gate("modules/security/ssh.nix").changed, enables_ssh);
    assert_eq!(
        gate("modules/security/1password.nix").changed,
        set(&["yoga"])
    );
    assert!(gate("modules/development/zed.nix").changed.is_empty());
    assert!(
        gate("modules/desktop-shells/dankmaterial.nix")
            .changed
            .is_empty()
    );
    // The evaluation trace sees the stand-in and the helper only where used.
    assert!(o.reads["zephyrus"].contains("lib/mk-host.nix"));
    assert!(!o.reads["yoga"].contains("lib/mk-host.nix"));
}

#[test]
fn static_impact_is_sound_against_nix() {
    let o = oracle();
    let repo = Repo::copy_of(&fixture_dir());
    let mut misses = Vec::new();
    let mut rows = Vec::new();
    let (mut predicted_total, mut changed_total, mut must_total, mut precise_total) = (0, 0, 0, 0);
    for truth in &o.probes {
        let _applied = truth.probe.apply(&repo);
        // A gate-body edit is handed over as git sees it (HEAD against the
        // working tree), so a diff-aware `--precise` can see where it is.
        let changed = match truth.probe.kind {
            ProbeKind::GateBody => None,
            _ => Some(truth.probe.path.as_str()),
        };
        // A failing command fails the test at once: one message, not a hundred.
        let predicted = impact(&repo, changed, false)
            .unwrap_or_else(|e| panic!("openspec impact for {} failed: {e}", probe_name(truth)));
        let precise = impact(&repo, changed, true).unwrap_or_else(|e| {
            panic!(
                "openspec impact --precise for {} failed: {e}",
                probe_name(truth)
            )
        });
        let must = truth.must_affect();
        let missed: BTreeSet<_> = must.difference(&predicted).cloned().collect();
        if !missed.is_empty() {
            misses.push(format!(
                "{:?} {}: missed {}",
                truth.probe.kind,
                truth.probe.path,
                show(&missed)
            ));
        }
        let missed_precise: BTreeSet<_> = truth.changed.difference(&precise).cloned().collect();
        if !missed_precise.is_empty() {
            misses.push(format!(
                "{:?} {} (--precise): missed {}",
                truth.probe.kind,
                truth.probe.path,
                show(&missed_precise)
            ));
        }
        predicted_total += predicted.len();
        precise_total += precise.len();
        changed_total += truth.changed.len();
        must_total += must.len();
        rows.push((truth, predicted, precise));
    }
    eprintln!(
        "\n{:<52} {:<36} {:<36} {:<36} precise",
        "probe", "drv changed", "predicted", "eval reads"
    );
    for (t, predicted, precise) in &rows {
        let name = probe_name(t);
        eprintln!(
            "{name:<52} {:<36} {:<36} {:<36} {}",
            show(&t.changed),
            show(predicted),
            show(&t.readers),
            show(precise)
        );
    }
    eprintln!(
        "totals over {} probes: predicted {predicted_total} host entries (--precise {precise_total}); \
         drvPath really changed {changed_total}; changed or read {must_total}; \
         precision {:.2} (changed/predicted), {:.2} with --precise",
        rows.len(),
        ratio(changed_total, predicted_total),
        ratio(changed_total, precise_total),
    );
    assert!(
        misses.is_empty(),
        "unsound predictions:\n{}",
        misses.join("\n")
    );

    // Soundness alone is met by "every host, always". The analysis must also
    // start each host from its own entry: files no host reaches, and files of
    // one host, name no other host. hetzner-vps may appear anywhere, as it
    // uses `self.shortRev` (whole source).
    let floor: &[(&str, &[&str])] = &[
        ("modules/legacy/broken.nix", &[]),
        ("modules/desktop-shells/widgets.nix", &[]),
        ("hosts/servers/contabo-vps/default.nix", &[]),
        ("hosts/servers/ovh-vps/disko.nix", &[]),
        ("tests-integration/default.nix", &[]),
        ("hosts/yoga/default.nix", &["yoga"]),
        ("home/alice/niri/config.kdl", &["yoga"]),
        ("lib/mk-host.nix", &["zephyrus"]),
        ("hosts/servers/hetzner-vps/disko.nix", &["ovh-vps"]),
    ];
    for (file, allowed) in floor {
        let (_, predicted, _) = rows
            .iter()
            .find(|(t, _, _)| t.probe.kind == ProbeKind::Edit && t.probe.path == *file)
            .unwrap_or_else(|| panic!("no probe for {file}"));
        let mut allowed = set(allowed);
        allowed.insert("hetzner-vps".to_string());
        let extra: BTreeSet<_> = predicted.difference(&allowed).cloned().collect();
        assert!(
            extra.is_empty(),
            "{file}: hosts that cannot depend on it were predicted: {}",
            show(&extra)
        );
    }
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 { 1.0 } else { a as f64 / b as f64 }
}

/// `--root <repo>` followed by `rest`.
fn openspec_args(repo: &Repo, rest: &[&str]) -> Vec<OsString> {
    let mut args: Vec<OsString> = vec!["--root".into(), repo.root.clone().into()];
    args.extend(rest.iter().map(OsString::from));
    args
}

/// `affected_hosts` of `openspec --root <repo> impact --files <file> --json`,
/// or of `impact --base HEAD --json` (changes taken from git) without a file.
fn impact(repo: &Repo, file: Option<&str>, precise: bool) -> Result<BTreeSet<String>, String> {
    let mut args = openspec_args(repo, &["impact", "--json"]);
    match file {
        Some(f) => args.extend(["--files".into(), f.into()]),
        None => args.extend(["--base".into(), "HEAD".into()]),
    }
    if precise {
        args.push("--precise".into());
    }
    let out = run::openspec(&args)?;
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).map_err(|e| {
        format!(
            "stdout is not one JSON document ({e}); exit {:?}; stderr: {}",
            out.code,
            String::from_utf8_lossy(&out.stderr)
        )
    })?;
    if out.code != Some(0) {
        return Err(format!("exit {:?}: {doc}", out.code));
    }
    let hosts = doc["affected_hosts"]
        .as_array()
        .ok_or_else(|| format!("no affected_hosts in {doc}"))?;
    Ok(hosts
        .iter()
        .filter_map(|h| h.as_str().map(str::to_string))
        .collect())
}

/// `path` for an edit, `+path` for an added file, `path{gate}` for a gate-body edit.
fn probe_name(t: &ProbeTruth) -> String {
    match t.probe.kind {
        ProbeKind::Edit => t.probe.path.clone(),
        ProbeKind::Add => format!("+{}", t.probe.path),
        ProbeKind::GateBody => format!("{}{{gate}}", t.probe.path),
    }
}

fn print_truth(o: &Oracle) {
    eprintln!("\nground truth (real Nix): hosts {}", o.hosts.join(", "));
    for (h, files) in &o.reads {
        eprintln!(
            "  {h}: {} reads {} files; copies whole: {:?}",
            o.baseline[h],
            files.len(),
            o.copied_dirs[h]
        );
    }
    eprintln!("{:<56} {:<40} eval reads", "probe", "drvPath changed");
    for t in &o.probes {
        let name = probe_name(t);
        eprintln!("{name:<56} {:<40} {}", show(&t.changed), show(&t.readers));
    }
}

/// `hosts --json` must list, for every host, each file whose edit changes the
/// host or that its evaluation reads: in `files`, below one of `directories`,
/// matched by one of `globs`, an entry of one of `listings`, or through `whole_source`.
#[test]
fn static_host_dependencies_cover_what_nix_reads() {
    let o = oracle();
    let repo = Repo::copy_of(&fixture_dir());
    let out = run::openspec(&openspec_args(&repo, &["hosts", "--json"]))
        .unwrap_or_else(|e| panic!("{e}"));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "openspec hosts --json printed no JSON ({e}): {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    assert_eq!(out.code, Some(0), "openspec hosts --json failed: {doc}");
    let mut deps = std::collections::BTreeMap::new();
    for h in doc["hosts"].as_array().expect("hosts array") {
        let name = h["name"].as_str().expect("host name").to_string();
        deps.insert(name, HostDeps::from_json(h));
    }
    let names: BTreeSet<String> = deps.keys().cloned().collect();
    assert_eq!(names, o.hosts.iter().cloned().collect(), "host names");

    let mut missing = Vec::new();
    for t in &o.probes {
        for h in t.must_affect() {
            if !deps[&h].covers(&t.probe.path) {
                missing.push(format!("{h}: {:?} {}", t.probe.kind, t.probe.path));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "dependencies missing from hosts --json:\n{}",
        missing.join("\n")
    );
}

struct HostDeps {
    files: BTreeSet<String>,
    directories: Vec<String>,
    /// Directories whose listing is read (`readDir`): a new entry there counts.
    listings: Vec<String>,
    globs: globset::GlobSet,
    whole_source: bool,
}

impl HostDeps {
    fn from_json(h: &serde_json::Value) -> HostDeps {
        let strings = |key: &str| -> Vec<String> {
            h[key]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|v| v.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default()
        };
        let mut globs = globset::GlobSetBuilder::new();
        for g in strings("globs") {
            globs.add(globset::Glob::new(&g).unwrap_or_else(|e| panic!("bad glob {g}: {e}")));
        }
        HostDeps {
            files: strings("files").into_iter().collect(),
            directories: strings("directories"),
            listings: strings("listings"),
            globs: globs.build().expect("glob set"),
            whole_source: h["whole_source"].as_bool().unwrap_or(false),
        }
    }

    fn covers(&self, path: &str) -> bool {
        self.whole_source
            || self.files.contains(path)
            || self
                .directories
                .iter()
                .any(|d| d.is_empty() || path.starts_with(d.as_str()))
            || self.globs.is_match(path)
            || self.listings.iter().any(|l| {
                path.strip_prefix(l.as_str())
                    .is_some_and(|rest| !rest.is_empty() && !rest.contains('/'))
            })
    }
}

/// `impact --verify` on the example: the CLI evaluates base and head with real
/// Nix, confirms the predicted hosts, reports the false positive (a gated module
/// nobody enables) and misses nothing; `--precise` then has no false positive.
#[test]
fn impact_verify_confirms_the_prediction_on_the_example() {
    let repo = Repo::copy_of(&fixture_dir());
    let edit = |rel: &str, from: &str, to: &str| {
        let p = repo.root.join(rel);
        let text = std::fs::read_to_string(&p).expect("read module");
        assert!(text.contains(from), "{rel} holds {from:?}");
        std::fs::write(&p, text.replace(from, to)).expect("edit module");
    };
    // Both edits sit inside the `mkIf cfg.enable` bodies.
    edit(
        "modules/development/zed.nix",
        "[ pkgs.zed-editor ]",
        "[ pkgs.zed-editor pkgs.hello ]",
    );
    edit(
        "modules/security/ssh.nix",
        "PasswordAuthentication = false",
        "PasswordAuthentication = true",
    );
    let verify = |precise: bool| {
        let mut args: Vec<OsString> = vec!["--root".into(), repo.root.clone().into_os_string()];
        args.extend(["impact", "--base", "HEAD", "--verify", "--json"].map(OsString::from));
        if precise {
            args.push("--precise".into());
        }
        let ran = run::openspec(&args).unwrap_or_else(|e| panic!("{e}"));
        let doc: serde_json::Value = serde_json::from_slice(&ran.stdout).unwrap_or_else(|e| {
            panic!(
                "one JSON document: {e}\n{}",
                String::from_utf8_lossy(&ran.stderr)
            )
        });
        assert_eq!(
            ran.code,
            Some(0),
            "exit code; stderr:\n{}",
            String::from_utf8_lossy(&ran.stderr)
        );
        let list = |k: &str| -> Vec<String> {
            doc["verify"][k]
                .as_array()
                .unwrap_or_else(|| panic!("verify.{k} in {doc:#}"))
                .iter()
                .map(|v| v.as_str().unwrap_or("").to_string())
                .collect()
        };
        (list("confirmed"), list("false_positives"), list("missed"))
    };
    let (confirmed, false_positives, missed) = verify(false);
    assert_eq!(confirmed, ["hetzner-vps", "ovh-vps", "yoga"]);
    assert_eq!(false_positives, ["zephyrus"]);
    assert!(missed.is_empty());
    let (confirmed, false_positives, missed) = verify(true);
    assert_eq!(confirmed, ["hetzner-vps", "ovh-vps", "yoga"]);
    assert!(false_positives.is_empty(), "{false_positives:?}");
    assert!(missed.is_empty());
}
