//! Impact between revisions, proven by real Nix over a scripted history.
//!
//! A copy of the example flake gets a history of more than 30 commits: an
//! import added then removed; a host added, edited, renamed and removed; a
//! file moved; flake.nix edits to a host's attribute, to a shared `let`
//! binding, to a devShell and to a comment; layout-only edits of a module
//! and of a file inside a `src = ./.` directory; an input added and then
//! bumped in flake.lock; and a branch whose base moved on. For every consecutive pair (P, C), `openspec impact --base P
//! --head C` (run from a checkout of neither) must name every host whose
//! toplevel drvPath differs between P and C, report hosts only in C as
//! added and hosts only in P as removed. The precision (hosts predicted
//! against hosts really changed) is printed: `cargo test --test
//! impact_history -- --nocapture`.
mod repo_support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::process::Command;

const NIX_CONFIG: &str = "experimental-features = nix-command flakes\n\
sandbox = false\n\
build-users-group =\n\
substituters =\n\
flake-registry =";

struct History {
    _tmp: tempfile::TempDir,
    root: PathBuf,
    /// (commit, what it does), oldest first, on main.
    commits: Vec<(String, String)>,
}

impl History {
    fn git(&self, args: &[&str]) -> String {
        repo_support::git(&self.root, args)
    }

    /// A copy of the example flake in a new repository on `main`, no commit yet.
    fn new() -> History {
        let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let root = tmp.path().join("flake");
        repo_support::copy_dir(&repo_support::example(), &root);
        let h = History {
            _tmp: tmp,
            root,
            commits: vec![],
        };
        h.git(&["init", "-q", "-b", "main"]);
        h
    }

    fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.root.join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
    }

    fn write(&self, rel: &str, text: &str) {
        repo_support::write(&self.root, rel, text);
    }

    /// Replace the first `from` in `rel` by `to` (which must be there).
    fn edit(&self, rel: &str, from: &str, to: &str) {
        let text = self.read(rel);
        assert!(text.contains(from), "{rel} holds {from:?}");
        self.write(rel, &text.replacen(from, to, 1));
    }

    fn commit(&mut self, what: &str) -> String {
        self.git(&["add", "-A"]);
        self.git(&["commit", "-q", "--allow-empty", "-m", what]);
        let rev = self.git(&["rev-parse", "HEAD"]);
        self.commits.push((rev.clone(), what.to_string()));
        rev
    }

    /// `nix flake lock ARGS` in the repository (offline: inputs are local).
    fn lock(&self, args: &[&str]) {
        let out = Command::new("nix")
            .args(["flake", "lock"])
            .args(args)
            .current_dir(&self.root)
            .env("NIX_CONFIG", NIX_CONFIG)
            .output()
            .unwrap_or_else(|e| panic!("nix: {e} (the test needs Nix; tests/run.sh installs it)"));
        assert!(
            out.status.success(),
            "nix flake lock {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// Every host's toplevel drvPath at `rev`, by real Nix.
    fn drv_paths(&self, rev: &str) -> BTreeMap<String, String> {
        let flake = format!("git+file://{}?rev={rev}", self.root.display());
        let out = Command::new("nix")
            .args([
                "eval",
                "--json",
                &format!("{flake}#nixosConfigurations"),
                "--apply",
                "cs: builtins.mapAttrs (n: c: c.config.system.build.toplevel.drvPath) cs",
            ])
            .env("NIX_CONFIG", NIX_CONFIG)
            .output()
            .unwrap_or_else(|e| panic!("nix: {e} (the test needs Nix; tests/run.sh installs it)"));
        assert!(
            out.status.success(),
            "nix eval at {rev}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}"))
    }

    fn impact(&self, base: &str, head: &str) -> serde_json::Value {
        let out = Command::new(env!("CARGO_BIN_EXE_openspec"))
            .args(["--root"])
            .arg(&self.root)
            .args(["impact", "--base", base, "--head", head, "--json"])
            .output()
            .unwrap_or_else(|e| panic!("openspec: {e}"));
        assert!(
            matches!(out.status.code(), Some(0 | 1)),
            "impact {base}..{head}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("impact {base}..{head} JSON: {e}"))
    }
}

const NEW_HOST: &str = r#"
        newhost = nixosSystem {
          inherit system;
          modules = [ ./hosts/newhost/default.nix shared { nixpkgs.pkgs = pkgs; } ];
        };
"#;

fn scripted_history() -> History {
    let mut h = History::new();
    h.commit("the example flake");
    h.write(
        "modules/extra.nix",
        "{ ... }: { environment.etc.extra.text = \"1\"; }\n",
    );
    h.commit("a module nobody imports yet");
    h.edit(
        "hosts/yoga/default.nix",
        "./meta.nix",
        "./meta.nix\n    ../../modules/extra.nix",
    );
    h.commit("yoga imports the module");
    h.edit("modules/extra.nix", "\"1\"", "\"2\"");
    h.commit("the imported module changes");
    h.edit(
        "hosts/yoga/default.nix",
        "\n    ../../modules/extra.nix",
        "",
    );
    h.commit("yoga drops the import");
    h.edit("modules/extra.nix", "\"2\"", "\"3\"");
    h.commit("the module nobody imports changes");
    h.write(
        "hosts/newhost/default.nix",
        "{ ... }: { networking.hostName = \"newhost\"; imports = [ ../../modules ]; }\n",
    );
    h.edit(
        "flake.nix",
        "\n        ovh-vps = nixosSystem {",
        &format!("{NEW_HOST}\n        ovh-vps = nixosSystem {{"),
    );
    h.commit("a host is added");
    h.edit("hosts/newhost/default.nix", "\"newhost\"", "\"newhost2\"");
    h.commit("the new host changes");
    h.edit(
        "flake.nix",
        "        newhost = nixosSystem",
        "        renamed = nixosSystem",
    );
    h.commit("the host is renamed");
    h.edit("flake.nix", &NEW_HOST.replace("newhost =", "renamed ="), "");
    h.git(&["rm", "-q", "-r", "hosts/newhost"]);
    h.commit("the renamed host is removed");
    h.git(&[
        "mv",
        "modules/environment/locale.nix",
        "modules/environment/i18n.nix",
    ]);
    h.edit(
        "modules/environment/default.nix",
        "./locale.nix",
        "./i18n.nix",
    );
    h.commit("a module file is moved");
    h.edit(
        "flake.nix",
        "./hosts/yoga/default.nix\n",
        "./hosts/yoga/default.nix\n            { networking.domain = \"example.org\"; }\n",
    );
    h.commit("flake.nix: yoga's own attribute");
    h.edit(
        "flake.nix",
        "system.stateVersion = \"25.05\";",
        "system.stateVersion = \"25.11\";",
    );
    h.commit("flake.nix: the shared let binding");
    h.edit(
        "flake.nix",
        "import ./tests-integration/shell.nix { inherit pkgs; }",
        "import ./tests-integration/shell.nix { inherit pkgs; } // { }",
    );
    h.commit("flake.nix: the devShell");
    h.edit(
        "flake.nix",
        "# Settings every host shares",
        "# Settings that every host shares",
    );
    h.commit("flake.nix: a comment");
    let locale = h.read("modules/environment/i18n.nix");
    h.write(
        "modules/environment/i18n.nix",
        &format!("# reformatted\n{}", locale.replace("  ", "    ")),
    );
    h.commit("layout only: a module");
    h.edit("pkgs/wallpapers/default.nix", "  pname", "    pname");
    h.commit("layout only: a file inside a src = ./. directory");
    h.edit("hosts/servers/ovh-vps/hardware.nix", "/dev/sda", "/dev/vda");
    h.commit("ovh-vps hardware");
    h.edit("modules/security/ssh.nix", "", "# ssh\n");
    h.commit("a comment in a shared module");
    h.write("modules/auto/extra-auto.nix", "{ ... }: { }\n");
    h.commit("a file added to a readDir folder");
    h.edit("home/alice/home.nix", "", "# alice\n");
    h.commit("home-manager user module");
    h.edit("lib/mk-host.nix", "user ? \"alice\"", "user ? \"bob\"");
    h.commit("the mkHost helper");
    h.edit("hosts/yoga/scripts/backup.sh", "", "# backup\n");
    h.commit("a script in a directory copied whole");
    h.edit(
        "hosts/servers/hetzner-vps/network.json",
        "{",
        "{ \"mtu\": 1400,",
    );
    h.commit("hetzner-vps data file");
    h.write(
        "hosts/yoga/local.nix",
        "{ ... }: { environment.etc.local.text = \"local\"; }\n",
    );
    h.commit("yoga's optional local.nix appears");
    h.git(&["rm", "-q", "hosts/yoga/local.nix"]);
    h.commit("and goes again");
    h.edit("modules/security/1password.nix", "", "# 1password\n");
    h.commit("a gated module");
    h.edit("hosts/zephyrus/default.nix", "", "# zephyrus\n");
    h.commit("zephyrus host file");
    h.edit("nix-stub/lib.nix", "", "# stub\n");
    h.commit("the stand-in nixpkgs lib");
    // An input flake (a local git repository: no network), used by yoga.
    let input = h.root.with_file_name("input");
    repo_support::write(
        &input,
        "flake.nix",
        "{ outputs = { self }: { nixosModules.default = ./module.nix; }; }\n",
    );
    repo_support::write(
        &input,
        "module.nix",
        "{ ... }: { environment.etc.data.text = \"1\"; }\n",
    );
    repo_support::git(&input, &["init", "-q", "-b", "main"]);
    repo_support::commit_all(&input, "i0");
    h.edit(
        "flake.nix",
        "  outputs = { self }:",
        &format!(
            "  inputs.data.url = \"git+file://{}\";\n  outputs = {{ self, data }}:",
            input.display()
        ),
    );
    h.edit(
        "flake.nix",
        "./hosts/yoga/default.nix\n",
        "./hosts/yoga/default.nix\n            data.nixosModules.default\n",
    );
    h.lock(&[]);
    h.commit("an input is added");
    repo_support::write(
        &input,
        "module.nix",
        "{ ... }: { environment.etc.data.text = \"2\"; }\n",
    );
    repo_support::commit_all(&input, "i1");
    h.lock(&["--update-input", "data"]);
    h.commit("flake.lock: one input bumped");
    h.edit("flake.lock", "\"version\"", "\"version\"");
    h.commit("an empty commit");
    h
}

#[test]
fn every_changed_host_is_predicted_between_consecutive_revisions() {
    let mut h = scripted_history();
    // A branch whose base moved on: the feature edits ovh-vps, main then
    // edits zephyrus; the feature's impact is its own change only.
    let fork = h.commits.last().map(|c| c.0.clone()).unwrap_or_default();
    h.git(&["checkout", "-q", "-b", "feature"]);
    h.edit(
        "hosts/servers/ovh-vps/default.nix",
        "port = 2222;",
        "port = 2223;",
    );
    h.git(&["add", "-A"]);
    h.git(&["commit", "-q", "-m", "feature: ovh-vps port"]);
    let feature = h.git(&["rev-parse", "HEAD"]);
    h.git(&["checkout", "-q", "main"]);
    h.edit(
        "hosts/zephyrus/default.nix",
        "# zephyrus",
        "# zephyrus, again",
    );
    h.commit("main moves on: zephyrus");
    assert!(h.commits.len() >= 30, "{} commits", h.commits.len());

    let truth: BTreeMap<String, BTreeMap<String, String>> = h
        .commits
        .iter()
        .map(|(rev, _)| (rev.clone(), h.drv_paths(rev)))
        .chain([(feature.clone(), h.drv_paths(&feature))])
        .collect();
    let mut pairs: Vec<(String, String, String)> = h
        .commits
        .windows(2)
        .map(|w| (w[0].0.clone(), w[1].0.clone(), w[1].1.clone()))
        .collect();
    // `--base main --head feature`: compared from the merge-base, `fork`.
    pairs.push((
        "main".into(),
        feature.clone(),
        "the feature branch against main".into(),
    ));
    let (mut predicted, mut changed) = (0usize, 0usize);
    let mut failures = vec![];
    for (base, head, what) in &pairs {
        let doc = h.impact(base, head);
        let set = |k: &str| -> BTreeSet<String> {
            doc[k]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        };
        let truth_base = if base == "main" {
            &truth[&fork]
        } else {
            &truth[base]
        };
        let truth_head = &truth[head];
        let really: BTreeSet<String> = truth_head
            .iter()
            .filter(|(host, drv)| truth_base.get(*host).is_some_and(|b| b != *drv))
            .map(|(host, _)| host.clone())
            .collect();
        let added: BTreeSet<String> = truth_head
            .keys()
            .filter(|k| !truth_base.contains_key(*k))
            .cloned()
            .collect();
        let removed: BTreeSet<String> = truth_base
            .keys()
            .filter(|k| !truth_head.contains_key(*k))
            .cloned()
            .collect();
        let affected = set("affected_hosts");
        let missed: Vec<&String> = really.difference(&affected).collect();
        if !missed.is_empty() {
            failures.push(format!(
                "{what}: missed {missed:?} (predicted {affected:?})"
            ));
        }
        if set("added_hosts") != added || set("removed_hosts") != removed {
            failures.push(format!(
                "{what}: added {:?} removed {:?}, Nix says added {added:?} removed {removed:?}",
                set("added_hosts"),
                set("removed_hosts")
            ));
        }
        if base == "main" {
            assert_eq!(
                doc["base"].as_str(),
                Some(fork.as_str()),
                "compared from the merge-base"
            );
        }
        predicted += affected.len() - added.len();
        changed += really.len();
        let shown_really = format!("{really:?}");
        let shown_predicted = format!("{:?}", affected.difference(&added).collect::<Vec<_>>());
        eprintln!("{what:<55} changed {shown_really:<40} predicted {shown_predicted}");
    }
    eprintln!(
        "{} revision pairs: hosts really changed {changed}, predicted {predicted}; precision {:.2}",
        pairs.len(),
        changed as f64 / predicted.max(1) as f64
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn verify_from_any_checkout_of_a_three_commit_history() {
    let mut h = History::new();
    h.write(
        "modules/extra.nix",
        "{ ... }: { environment.etc.extra.text = \"1\"; }\n",
    );
    h.edit(
        "hosts/yoga/default.nix",
        "./meta.nix",
        "./meta.nix\n    ../../modules/extra.nix",
    );
    h.commit("c0: yoga imports extra.nix");
    h.edit("modules/extra.nix", "\"1\"", "\"2\"");
    h.commit("c1: extra.nix changes");
    h.edit(
        "hosts/yoga/default.nix",
        "\n    ../../modules/extra.nix",
        "",
    );
    h.commit("c2: the import is gone");
    let revs: Vec<String> = h.commits.iter().map(|c| c.0.clone()).collect();
    for checkout in revs.iter().rev() {
        h.git(&["checkout", "-q", checkout]);
        let out = Command::new(env!("CARGO_BIN_EXE_openspec"))
            .arg("--root")
            .arg(&h.root)
            .args([
                "impact",
                "--base",
                &h.commits[0].0,
                "--head",
                &h.commits[1].0,
            ])
            .args(["--verify", "--json"])
            .env("NIX_CONFIG", NIX_CONFIG)
            .output()
            .unwrap_or_else(|e| panic!("{e}"));
        let doc: serde_json::Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
        assert_eq!(
            doc["verify"]["missed"],
            serde_json::json!([]),
            "from a checkout of {checkout}: {doc:#}"
        );
        assert!(
            doc["affected_hosts"]
                .as_array()
                .is_some_and(|a| a.iter().any(|h| h == "yoga")),
            "{doc:#}"
        );
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
