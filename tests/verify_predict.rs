//! `impact --verify` as a library: the static prediction checked against the
//! toplevel drvPaths real Nix evaluates at base and head, on every
//! single-file edit of a fixture flake; and `--why` explanations.
mod verify_support;

use std::path::Path;

use openspec::nix::{Nix, NixSettings, StorePath};
use openspec::verify::{PredictOptions, explain, verify_prediction};
use verify_support::{Fixture, Host, git, nix_config, unique};

const HOSTS: [&str; 3] = ["alpha", "beta", "gamma"];

/// Nix reads NIX_CONFIG from our own environment in these library tests.
fn opts(why: bool) -> PredictOptions {
    PredictOptions {
        settings: NixSettings {
            config: nix_config(&unique("predict"))
                .lines()
                .map(str::to_string)
                .collect(),
            ..Default::default()
        },
        jobs: 2,
        why,
        interrupt: None,
    }
}

fn fixture() -> (Fixture, String) {
    let f = Fixture::new(&[("alpha", Host::Ok), ("beta", Host::Ok), ("gamma", Host::Ok)]);
    let out = std::process::Command::new("git")
        .args(["-C", f.path().to_str().unwrap(), "rev-parse", "HEAD"])
        .output()
        .unwrap();
    let base = String::from_utf8(out.stdout).unwrap().trim().to_string();
    (f, base)
}

/// One edit per file of the fixture, and the hosts whose build it changes
/// (`alpha` and `gamma` import the desktop module, `beta` does not).
fn edits() -> Vec<(&'static str, &'static str, &'static str, Vec<&'static str>)> {
    vec![
        (
            "lib/nixos.nix",
            "name = \"etc\";",
            "name = \"etc\"; edited = \"1\";",
            HOSTS.to_vec(),
        ),
        (
            "modules/base.nix",
            "welcome",
            "welcome back",
            HOSTS.to_vec(),
        ),
        (
            "modules/desktop.nix",
            "enable = true",
            "enable = false",
            vec!["alpha", "gamma"],
        ),
        (
            "modules/fonts.nix",
            "noto",
            "dejavu",
            vec!["alpha", "gamma"],
        ),
        (
            "hosts/alpha/default.nix",
            "{\n",
            "{\n  config.time.timeZone = \"UTC\";\n",
            vec!["alpha"],
        ),
        (
            "hosts/beta/default.nix",
            "{\n",
            "{\n  config.time.timeZone = \"UTC\";\n",
            vec!["beta"],
        ),
        (
            "hosts/gamma/default.nix",
            "{\n",
            "{\n  config.time.timeZone = \"UTC\";\n",
            vec!["gamma"],
        ),
        (
            "flake.nix",
            "verification fixture",
            "verification fixture, edited",
            vec![],
        ),
        ("modules/base.nix", "}\n", "}\n# a comment only\n", vec![]),
        // Code that evaluates to the same: every host reaching it is
        // predicted and none changes (a comment alone is now known to change
        // nothing, so it no longer makes a false positive).
        (
            "modules/base.nix",
            "ssh.enable = true;",
            "ssh.enable = true && true;",
            vec![],
        ),
        (
            "openspec/changes/c1/proposal.md",
            "# c1",
            "# c1 edited",
            vec![],
        ),
    ]
}

/// Which hosts a change to `file` can affect, by the fixture's import graph:
/// the static impact analysis when it answers, else this map.
fn predicted(dir: &Path, base: &str, file: &str) -> Vec<String> {
    if let Ok(Some(hosts)) = openspec::impact::affected_hosts(dir, Some(base)) {
        return hosts;
    }
    let all = HOSTS.iter().map(|h| h.to_string()).collect();
    match file {
        "flake.nix" | "lib/nixos.nix" | "modules/base.nix" => all,
        "modules/desktop.nix" | "modules/fonts.nix" => vec!["alpha".into(), "gamma".into()],
        f if f.starts_with("hosts/") => vec![f.split('/').nth(1).unwrap_or("").to_string()],
        _ => vec![],
    }
}

#[test]
fn no_host_is_missed_on_any_single_file_edit() {
    let (f, base) = fixture();
    let mut reported_fp = 0;
    for (file, from, to, changes) in edits() {
        let path = f.path().join(file);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains(from), "{file} lacks {from:?}");
        std::fs::write(&path, text.replacen(from, to, 1)).unwrap();

        let mut prediction = predicted(f.path(), &base, file);
        prediction.sort();
        let r = verify_prediction(f.path(), &base, None, &[], &prediction, &opts(false))
            .unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(r.head, "worktree");
        assert_eq!(r.hosts.len(), 3, "{file}: {r:#?}");
        let changed: Vec<&str> = r
            .hosts
            .iter()
            .filter(|h| h.changed)
            .map(|h| h.name.as_str())
            .collect();
        assert_eq!(changed, changes, "{file}: what Nix says changed");
        assert!(r.missed.is_empty(), "{file}: missed {:?}", r.missed);
        assert_eq!(
            r.confirmed.len() + r.false_positives.len(),
            prediction.len()
        );
        for h in &r.hosts {
            assert!(
                h.base_drv.as_deref().is_some_and(|d| d.ends_with(".drv")),
                "{h:?}"
            );
            assert_eq!(h.changed, h.base_drv != h.head_drv);
        }
        // An edit that changes no derivation (a comment, the flake's
        // description): every host the prediction named is a false positive.
        if changes.is_empty() {
            assert_eq!(r.false_positives, prediction, "{file}");
            reported_fp += r.false_positives.len();
        }
        git(f.path(), &["checkout", "-q", "--", "."]);
    }
    assert!(reported_fp > 0, "no false positive was found to report");
}

#[test]
fn a_wrong_prediction_reports_missed_hosts_between_two_commits() {
    let (f, base) = fixture();
    let p = f.path().join("modules/fonts.nix");
    std::fs::write(&p, "{ config.environment.etc.fonts = \"hack\"; }\n").unwrap();
    git(f.path(), &["commit", "-q", "-am", "fonts"]);
    let r = verify_prediction(
        f.path(),
        &base,
        Some("HEAD"),
        &["alpha".into(), "beta".into()],
        &["beta".into()],
        &opts(false),
    )
    .unwrap();
    assert_ne!(r.head, "worktree");
    assert_eq!(r.missed, ["alpha"]);
    assert_eq!(r.false_positives, ["beta"]);
    assert!(r.confirmed.is_empty());
    // No temporary worktree is left registered.
    let out = std::process::Command::new("git")
        .args(["-C", f.path().to_str().unwrap(), "worktree", "list"])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 1);
}

#[test]
fn why_walks_down_to_the_first_differing_inputs() {
    let (f, base) = fixture();
    // fonts.nix feeds the `etc` derivation: the toplevel differs only
    // through that input, so the explanation is found one level down.
    std::fs::write(
        f.path().join("modules/fonts.nix"),
        "{ config.environment.etc.fonts = \"hack\"; }\n",
    )
    .unwrap();
    // desktop.nix feeds the toplevel's own `config` attribute.
    let d = f.path().join("modules/desktop.nix");
    std::fs::write(
        &d,
        std::fs::read_to_string(&d)
            .unwrap()
            .replace("true", "false"),
    )
    .unwrap();
    let r = verify_prediction(
        f.path(),
        &base,
        None,
        &[],
        &["alpha".into(), "gamma".into()],
        &opts(true),
    )
    .unwrap();
    let alpha = r.hosts.iter().find(|h| h.name == "alpha").unwrap();
    let why = alpha.why.as_ref().expect("explained");
    let doc = serde_json::to_value(why).unwrap();
    let diffs = doc["differences"].as_array().unwrap();
    let etc = diffs
        .iter()
        .find(|d| d["kind"] == "env" && d["name"] == "files")
        .unwrap_or_else(|| panic!("{doc:#}"));
    assert_eq!(etc["via"], serde_json::json!(["nixos-system-alpha", "etc"]));
    assert!(etc["head"].as_str().unwrap().contains("hack"));
    let top = diffs
        .iter()
        .find(|d| d["kind"] == "env" && d["name"] == "config")
        .unwrap_or_else(|| panic!("{doc:#}"));
    assert_eq!(top["via"], serde_json::json!(["nixos-system-alpha"]));
    // The toplevel's `etc` attribute only names the changed input: not reported.
    assert!(!diffs.iter().any(|d| d["name"] == "etc"), "{doc:#}");
    assert!(
        r.hosts
            .iter()
            .find(|h| h.name == "beta")
            .unwrap()
            .why
            .is_none()
    );

    // explain() directly on the two derivations gives the same answer.
    let nix = Nix::find(opts(false).settings).unwrap();
    let a = StorePath::parse(alpha.base_drv.as_deref().unwrap(), nix.store_dir()).unwrap();
    let b = StorePath::parse(alpha.head_drv.as_deref().unwrap(), nix.store_dir()).unwrap();
    assert_eq!(&explain(&nix, &a, &b).unwrap(), why);
    assert!(explain(&nix, &a, &a).unwrap().differences.is_empty());
}
