//! The categories of a change ("When to use OpenSpec" and the three
//! phases), computed by `openspec impact --base B --head H` from the syntax
//! of the changed files on both sides. Table-driven over a copy of the
//! example flake in a real git repository: one case per trigger, each a
//! minimal edit committed on top of the same base, and beside them the
//! harmless neighbouring edits (a comment, a reformat, the definition next
//! to a firewall block, a devShell) that must trigger nothing. Each case
//! names the exact set of categories, so a category that fires where it
//! should not fails as surely as one that does not fire.
mod repo_support;

use std::path::Path;

use repo_support::{git, write};

enum Edit {
    /// Replace the first `from` in the file by `to` (which must be there).
    Replace(&'static str, &'static str, &'static str),
    /// Write the file whole.
    Write(&'static str, &'static str),
    /// Move a file (`git mv`).
    Move(&'static str, &'static str),
}
use Edit::*;

struct Case {
    name: &'static str,
    edits: &'static [Edit],
    /// Exactly these categories.
    want: &'static [&'static str],
    /// A finding that must be there: category, file, and a part of its
    /// attribute path (`""`: the finding has no attribute).
    trigger: Option<(&'static str, &'static str, &'static str)>,
}

const LOCK_BASE: &str = r#"{
  "nodes": {
    "root": { "inputs": { "tools": "tools" } },
    "tools": {
      "locked": { "type": "github", "owner": "example", "repo": "tools", "rev": "1111111111111111111111111111111111111111" },
      "original": { "type": "github", "owner": "example", "repo": "tools" }
    }
  },
  "root": "root",
  "version": 7
}
"#;

const CASES: &[Case] = &[
    // security-model
    Case {
        name: "a firewall port",
        edits: &[Replace(
            "modules/security/firewall.nix",
            "[ 80 443 ]",
            "[ 80 443 8080 ]",
        )],
        want: &["security-model"],
        trigger: Some((
            "security-model",
            "modules/security/firewall.nix",
            "networking.firewall.allowedTCPPorts",
        )),
    },
    Case {
        name: "the package list beside the firewall block",
        edits: &[Replace(
            "modules/security/firewall.nix",
            "environment.systemPackages = [ ];",
            "environment.systemPackages = [ pkgs.nftables ];",
        )],
        want: &[],
        trigger: None,
    },
    Case {
        name: "a comment in the firewall module",
        edits: &[Replace(
            "modules/security/firewall.nix",
            "networking.firewall.enable = true;",
            "# The host firewall, on by default.\n    networking.firewall.enable = true; # on",
        )],
        want: &[],
        trigger: None,
    },
    Case {
        name: "the ssh module reindented",
        edits: &[Replace(
            "modules/security/ssh.nix",
            "      enable = true;\n      ports = [ cfg.port ];",
            "          enable   = true;\n\n          ports = [\n            cfg.port\n          ];",
        )],
        want: &[],
        trigger: None,
    },
    Case {
        name: "ssh password logins",
        edits: &[Replace(
            "modules/security/ssh.nix",
            "PasswordAuthentication = false",
            "PasswordAuthentication = true",
        )],
        want: &["security-model"],
        trigger: Some((
            "security-model",
            "modules/security/ssh.nix",
            "services.openssh.settings.PasswordAuthentication",
        )),
    },
    Case {
        name: "a security option in a module",
        edits: &[Replace(
            "modules/environment/locale.nix",
            "console.keyMap = \"us\";",
            "console.keyMap = \"us\";\n  security.sudo.wheelNeedsPassword = false;",
        )],
        want: &["security-model"],
        trigger: Some((
            "security-model",
            "modules/environment/locale.nix",
            "security.sudo.wheelNeedsPassword",
        )),
    },
    Case {
        name: "a user added to a group",
        edits: &[Replace(
            "modules/users/alice.nix",
            "[ \"wheel\" ]",
            "[ \"wheel\" \"docker\" ]",
        )],
        want: &["security-model"],
        trigger: Some((
            "security-model",
            "modules/users/alice.nix",
            "users.users.alice.extraGroups",
        )),
    },
    Case {
        name: "a user's description beside the groups",
        edits: &[Replace(
            "modules/users/alice.nix",
            "isNormalUser = true;",
            "isNormalUser = true;\n    description = \"Alice\";",
        )],
        want: &[],
        trigger: None,
    },
    Case {
        name: "a user's password hash",
        edits: &[Replace(
            "modules/users/alice.nix",
            "isNormalUser = true;",
            "isNormalUser = true;\n    hashedPassword = \"$6$salt$hash\";",
        )],
        want: &["security-model"],
        trigger: Some((
            "security-model",
            "modules/users/alice.nix",
            "users.users.alice.hashedPassword",
        )),
    },
    Case {
        name: "an authorized key file",
        edits: &[Write(
            "modules/users/keys/alice.pub",
            "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIReplaced alice@laptop\n",
        )],
        want: &["security-model"],
        trigger: Some(("security-model", "modules/users/keys/alice.pub", "")),
    },
    Case {
        name: "a secret declared for sops-nix",
        edits: &[Replace(
            "modules/users/alice.nix",
            "  };\n}",
            "  };\n  sops.secrets.alice-password.neededForUsers = true;\n}",
        )],
        want: &["security-model"],
        trigger: Some((
            "security-model",
            "modules/users/alice.nix",
            "sops.secrets.alice-password",
        )),
    },
    Case {
        name: "kernel parameters",
        edits: &[Replace(
            "modules/environment/locale.nix",
            "console.keyMap = \"us\";",
            "console.keyMap = \"us\";\n  boot.kernelParams = [ \"mitigations=off\" ];",
        )],
        want: &["security-model"],
        trigger: Some((
            "security-model",
            "modules/environment/locale.nix",
            "boot.kernelParams",
        )),
    },
    // performance
    Case {
        name: "the zram size",
        edits: &[Replace(
            "modules/auto/zram.nix",
            "memoryPercent = 50",
            "memoryPercent = 25",
        )],
        want: &["performance"],
        trigger: Some((
            "performance",
            "modules/auto/zram.nix",
            "zramSwap.memoryPercent",
        )),
    },
    Case {
        name: "the kernel package set",
        edits: &[Replace(
            "modules/auto/zram.nix",
            "zramSwap.enable = true;",
            "zramSwap.enable = true;\n  boot.kernelPackages = pkgs.linuxPackages_latest;",
        )],
        want: &["performance"],
        trigger: Some((
            "performance",
            "modules/auto/zram.nix",
            "boot.kernelPackages",
        )),
    },
    Case {
        name: "Nix settings shared by every host in flake.nix",
        edits: &[Replace(
            "flake.nix",
            "\"nix-command\" \"flakes\" ];",
            "\"nix-command\" \"flakes\" ];\n        nix.settings.max-jobs = 4;",
        )],
        want: &["performance"],
        trigger: Some(("performance", "flake.nix", "nix.settings.max-jobs")),
    },
    // breaking
    Case {
        name: "the state version",
        edits: &[Replace(
            "flake.nix",
            "system.stateVersion = \"25.05\";",
            "system.stateVersion = \"25.11\";",
        )],
        want: &["breaking"],
        trigger: Some(("breaking", "flake.nix", "system.stateVersion")),
    },
    Case {
        name: "an input fetched from elsewhere",
        edits: &[Replace(
            "flake.nix",
            "\"github:example/tools\"",
            "\"github:example/tools/v2\"",
        )],
        want: &["breaking"],
        trigger: Some(("breaking", "flake.nix", "inputs.tools")),
    },
    Case {
        name: "an input removed",
        edits: &[Replace(
            "flake.nix",
            "inputs.tools.url = \"github:example/tools\";\n",
            "",
        )],
        want: &["breaking"],
        trigger: Some(("breaking", "flake.nix", "inputs.tools")),
    },
    Case {
        name: "the lock's source of an input",
        edits: &[Write(
            "flake.lock",
            r#"{
  "nodes": {
    "root": { "inputs": { "tools": "tools" } },
    "tools": {
      "locked": { "type": "github", "owner": "example", "repo": "tools", "rev": "2222222222222222222222222222222222222222" },
      "original": { "type": "github", "owner": "example", "repo": "tools", "ref": "v2" }
    }
  },
  "root": "root",
  "version": 7
}
"#,
        )],
        want: &["breaking"],
        trigger: Some(("breaking", "flake.lock", "inputs.tools")),
    },
    Case {
        name: "an input bumped in the lock",
        edits: &[Replace(
            "flake.lock",
            "1111111111111111111111111111111111111111",
            "3333333333333333333333333333333333333333",
        )],
        want: &[],
        trigger: None,
    },
    Case {
        name: "an option removed",
        edits: &[
            Replace(
                "modules/ci/hercules.nix",
                "concurrentTasks = lib.mkOption { type = lib.types.int; default = 4; };\n",
                "",
            ),
            Replace(
                "modules/ci/hercules.nix",
                "concurrentTasks = cfg.concurrentTasks;",
                "concurrentTasks = 4;",
            ),
        ],
        want: &["breaking", "module-interface"],
        trigger: Some((
            "breaking",
            "modules/ci/hercules.nix",
            "options.panther.ci.hercules.concurrentTasks",
        )),
    },
    Case {
        name: "an option renamed",
        edits: &[
            Replace(
                "modules/ci/hercules.nix",
                "concurrentTasks = lib.mkOption",
                "tasks = lib.mkOption",
            ),
            Replace(
                "modules/ci/hercules.nix",
                "cfg.concurrentTasks",
                "cfg.tasks",
            ),
        ],
        want: &["breaking", "module-interface"],
        trigger: Some((
            "breaking",
            "modules/ci/hercules.nix",
            "options.panther.ci.hercules.tasks",
        )),
    },
    Case {
        name: "a host removed",
        edits: &[Replace(
            "flake.nix",
            "        ovh-vps = nixosSystem {\n          inherit system;\n          modules = [\n            \"${self}/hosts/servers/ovh-vps/default.nix\"\n            shared\n            { nixpkgs.pkgs = pkgs; }\n          ];\n        };\n",
            "",
        )],
        want: &["architecture", "breaking", "host-configuration"],
        trigger: Some(("breaking", "flake.nix", "nixosConfigurations.ovh-vps")),
    },
    Case {
        name: "the flake's description",
        edits: &[Replace(
            "flake.nix",
            "description = \"",
            "description = \"An ",
        )],
        want: &[],
        trigger: None,
    },
    Case {
        name: "the devShell in flake.nix",
        edits: &[Replace(
            "flake.nix",
            "shell.nix { inherit pkgs; }",
            "shell.nix { inherit pkgs; name = \"dev\"; }",
        )],
        want: &[],
        trigger: None,
    },
    // module-interface
    Case {
        name: "an option added",
        edits: &[Replace(
            "modules/ci/hercules.nix",
            "concurrentTasks = lib.mkOption",
            "user = lib.mkOption { type = lib.types.str; default = \"hercules\"; };\n    concurrentTasks = lib.mkOption",
        )],
        want: &["module-interface"],
        trigger: Some((
            "module-interface",
            "modules/ci/hercules.nix",
            "options.panther.ci.hercules.user",
        )),
    },
    Case {
        name: "an option's default",
        edits: &[Replace(
            "modules/ci/hercules.nix",
            "default = 4;",
            "default = 8;",
        )],
        want: &["module-interface"],
        trigger: Some((
            "module-interface",
            "modules/ci/hercules.nix",
            "options.panther.ci.hercules.concurrentTasks",
        )),
    },
    // architecture and new-capability
    Case {
        name: "an aggregator's imports",
        edits: &[Replace("modules/default.nix", "    ./ci\n", "")],
        want: &["architecture"],
        trigger: Some(("architecture", "modules/default.nix", "imports")),
    },
    Case {
        name: "a comment in an aggregator",
        edits: &[Replace(
            "modules/default.nix",
            "    ./ci\n",
            "    ./ci # agents\n",
        )],
        want: &[],
        trigger: None,
    },
    Case {
        name: "a host's module list in flake.nix",
        edits: &[Replace(
            "flake.nix",
            "            ./modules/security/firewall.nix\n",
            "            ./modules/security/firewall.nix\n            ./modules/auto/zram.nix\n",
        )],
        want: &["architecture", "host-configuration"],
        trigger: Some((
            "architecture",
            "flake.nix",
            "nixosConfigurations.hetzner-vps.modules",
        )),
    },
    Case {
        name: "a new module file",
        edits: &[
            Write(
                "modules/packages/go.nix",
                "{ pkgs, ... }:\n{\n  environment.systemPackages = [ pkgs.go ];\n}\n",
            ),
            Replace(
                "modules/packages/default.nix",
                "./gui.nix",
                "./gui.nix\n    ./go.nix",
            ),
        ],
        want: &["architecture", "new-capability"],
        trigger: Some(("new-capability", "modules/packages/go.nix", "")),
    },
    Case {
        name: "a module folder added",
        edits: &[
            Write(
                "modules/monitoring/default.nix",
                "{ ... }:\n{\n  services.prometheus.enable = false;\n}\n",
            ),
            Replace(
                "modules/default.nix",
                "    ./auto\n",
                "    ./auto\n    ./monitoring\n",
            ),
        ],
        want: &["architecture", "new-capability"],
        trigger: Some(("architecture", "modules/monitoring", "")),
    },
    Case {
        name: "a module moved to a new folder",
        edits: &[
            Move(
                "modules/environment/locale.nix",
                "modules/environment/i18n/locale.nix",
            ),
            Replace(
                "modules/environment/default.nix",
                "./locale.nix",
                "./i18n/locale.nix",
            ),
        ],
        want: &["architecture"],
        trigger: Some(("architecture", "modules/environment/i18n", "")),
    },
    Case {
        name: "an input added",
        edits: &[Replace(
            "flake.nix",
            "inputs.tools.url = \"github:example/tools\";",
            "inputs.tools.url = \"github:example/tools\";\n  inputs.extra.url = \"github:example/extra\";",
        )],
        want: &["new-capability"],
        trigger: Some(("new-capability", "flake.nix", "inputs.extra")),
    },
    Case {
        name: "secrets tooling added as an input",
        edits: &[Replace(
            "flake.nix",
            "inputs.tools.url = \"github:example/tools\";",
            "inputs.tools.url = \"github:example/tools\";\n  inputs.sops-nix.url = \"github:Mic92/sops-nix\";",
        )],
        want: &["new-capability", "security-model"],
        trigger: Some(("security-model", "flake.nix", "inputs.sops-nix")),
    },
    Case {
        name: "a host added",
        edits: &[Replace(
            "flake.nix",
            "        yoga = nixosSystem {",
            "        yoga2 = nixosSystem {\n          inherit system;\n          modules = [ ./hosts/yoga/default.nix shared ];\n        };\n\n        yoga = nixosSystem {",
        )],
        want: &["architecture", "host-configuration", "new-capability"],
        trigger: Some(("new-capability", "flake.nix", "nixosConfigurations.yoga2")),
    },
    // hardware and host-configuration
    Case {
        name: "a kernel module in a host's hardware file",
        edits: &[Replace(
            "hosts/yoga/hardware.nix",
            "\"thunderbolt\" ]",
            "\"thunderbolt\" \"usb_storage\" ]",
        )],
        want: &["hardware", "host-configuration"],
        trigger: Some((
            "hardware",
            "hosts/yoga/hardware.nix",
            "boot.initrd.availableKernelModules",
        )),
    },
    Case {
        name: "a host's disk layout",
        edits: &[Replace(
            "hosts/yoga/disko.nix",
            "/dev/nvme0n1",
            "/dev/nvme1n1",
        )],
        want: &["hardware", "host-configuration"],
        trigger: Some((
            "hardware",
            "hosts/yoga/disko.nix",
            "disko.devices.disk.nvme.device",
        )),
    },
    Case {
        name: "a host's facter report",
        edits: &[Replace(
            "hosts/yoga/yoga-facter.json",
            "Core i7-1260P",
            "Core i7-1270P",
        )],
        want: &["hardware", "host-configuration"],
        trigger: Some(("hardware", "hosts/yoga/yoga-facter.json", "")),
    },
    Case {
        name: "a host's own setting",
        edits: &[Replace(
            "hosts/yoga/default.nix",
            "panther.packages.gui.enable = true;",
            "panther.packages.gui.enable = false;",
        )],
        want: &["host-configuration"],
        trigger: Some((
            "host-configuration",
            "hosts/yoga/default.nix",
            "panther.packages.gui.enable",
        )),
    },
    Case {
        name: "a comment in a host file",
        edits: &[Replace(
            "hosts/yoga/default.nix",
            "panther.packages.gui.enable = true;",
            "panther.packages.gui.enable = true; # desktop",
        )],
        want: &[],
        trigger: None,
    },
    Case {
        name: "the README",
        edits: &[Replace(
            "README.md",
            "# Example flake",
            "# The example flake",
        )],
        want: &[],
        trigger: None,
    },
];

/// The example flake with what the cases edit around: a package list
/// beside the firewall block, a flake input with its lock, an option with
/// a default.
fn base_repo(root: &Path) -> String {
    repo_support::copy_dir(&repo_support::example(), root);
    let edit = |rel: &str, from: &str, to: &str| {
        let text = std::fs::read_to_string(root.join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"));
        assert!(text.contains(from), "{rel} holds {from:?}");
        write(root, rel, &text.replacen(from, to, 1));
    };
    edit(
        "modules/security/firewall.nix",
        "{ config, lib, ... }:",
        "{ config, lib, pkgs, ... }:",
    );
    edit(
        "modules/security/firewall.nix",
        "networking.firewall.allowedTCPPorts = [ 80 443 ];",
        "networking.firewall.allowedTCPPorts = [ 80 443 ];\n    environment.systemPackages = [ ];",
    );
    edit(
        "flake.nix",
        "  outputs = { self }:",
        "  inputs.tools.url = \"github:example/tools\";\n\n  outputs = { self, ... }:",
    );
    write(root, "flake.lock", LOCK_BASE);
    edit(
        "modules/ci/hercules.nix",
        "options.panther.ci.hercules.enable = lib.mkEnableOption \"the Hercules CI agent\";",
        "options.panther.ci.hercules = {\n    enable = lib.mkEnableOption \"the Hercules CI agent\";\n    concurrentTasks = lib.mkOption { type = lib.types.int; default = 4; };\n  };",
    );
    edit(
        "modules/ci/hercules.nix",
        "concurrentTasks = 4;",
        "concurrentTasks = cfg.concurrentTasks;",
    );
    edit("modules/auto/zram.nix", "{\n", "{ pkgs, ... }:\n{\n");
    git(root, &["init", "-q", "-b", "main"]);
    repo_support::commit_all(root, "base")
}

fn apply(root: &Path, e: &Edit) {
    match e {
        Replace(rel, from, to) => {
            let text =
                std::fs::read_to_string(root.join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"));
            assert!(text.contains(from), "{rel} holds {from:?}");
            write(root, rel, &text.replacen(from, to, 1));
        }
        Write(rel, text) => write(root, rel, text),
        Move(from, to) => {
            let dest = root.join(to);
            std::fs::create_dir_all(dest.parent().unwrap_or(root))
                .unwrap_or_else(|e| panic!("{e}"));
            git(root, &["mv", from, to]);
        }
    }
}

#[test]
fn each_trigger_puts_a_change_in_its_categories_and_neighbours_in_none() {
    let t = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let root = t.path().join("flake");
    let base = base_repo(&root);
    let mut failures = vec![];
    for case in CASES {
        git(&root, &["checkout", "-q", "--detach", &base]);
        for e in case.edits {
            apply(&root, e);
        }
        let head = repo_support::commit_all(&root, case.name);
        let out = repo_support::openspec(
            &root,
            &["impact", "--base", &base, "--head", &head, "--json"],
        );
        let doc = repo_support::json(&out);
        let got = repo_support::strings(&doc["categories"]);
        let findings = doc["category_findings"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        // The names are the findings' categories, sorted, once each.
        let mut from_findings: Vec<String> = findings
            .iter()
            .filter_map(|f| f["category"].as_str().map(str::to_string))
            .collect();
        from_findings.sort();
        from_findings.dedup();
        assert_eq!(
            got, from_findings,
            "{}: names and findings agree",
            case.name
        );
        let shown = || {
            findings
                .iter()
                .map(|f| format!("    {f}"))
                .collect::<Vec<_>>()
                .join("\n")
        };
        if got != case.want {
            failures.push(format!(
                "{}: got {got:?}, want {:?}\n{}",
                case.name,
                case.want,
                shown()
            ));
            continue;
        }
        if let Some((cat, file, attr)) = case.trigger {
            let hit = findings.iter().any(|f| {
                f["category"] == cat
                    && f["file"] == file
                    && match f["attr"].as_str() {
                        Some(a) => !attr.is_empty() && a.contains(attr),
                        None => attr.is_empty(),
                    }
                    && f["side"]
                        .as_str()
                        .is_some_and(|s| s == "head" || s == "base")
                    && f["detail"].as_str().is_some_and(|d| !d.is_empty())
            });
            if !hit {
                failures.push(format!(
                    "{}: no {cat} finding in {file} at `{attr}`\n{}",
                    case.name,
                    shown()
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// A removal points at the base side, with the line it had there.
#[test]
fn a_removed_host_is_found_on_the_base_side() {
    let t = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let root = t.path().join("flake");
    let base = base_repo(&root);
    let flake = std::fs::read_to_string(root.join("flake.nix")).unwrap_or_else(|e| panic!("{e}"));
    let line = flake
        .lines()
        .position(|l| l.trim_start().starts_with("ovh-vps = nixosSystem"))
        .map(|i| i as u64 + 1)
        .unwrap_or_else(|| panic!("ovh-vps in flake.nix"));
    let case = CASES
        .iter()
        .find(|c| c.name == "a host removed")
        .unwrap_or_else(|| panic!("the case"));
    for e in case.edits {
        apply(&root, e);
    }
    let head = repo_support::commit_all(&root, "no ovh");
    let doc = repo_support::json(&repo_support::openspec(
        &root,
        &["impact", "--base", &base, "--head", &head, "--json"],
    ));
    let f = doc["category_findings"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|f| f["category"] == "breaking")
        .unwrap_or_else(|| panic!("a breaking finding: {doc:#}"));
    assert_eq!(f["side"], "base");
    assert_eq!(f["line"].as_u64(), Some(line));
    assert_eq!(f["attr"], "nixosConfigurations.ovh-vps");
    // The text report shows it with its place.
    let out = repo_support::openspec(&root, &["impact", "--base", &base, "--head", &head]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(&format!(
            "breaking: flake.nix:{line} (base): host `ovh-vps` removed"
        )),
        "{text}"
    );
}

/// Two files define the same attribute with the same value and one of them
/// changes it: the finding is in that file only, not in the other file,
/// whose own edit elsewhere is harmless (that file sorts after the changed
/// one, the order in which an equal version elsewhere used to stand in).
#[test]
fn a_change_is_found_in_its_own_file_when_another_file_holds_the_old_value() {
    let t = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let root = t.path().join("flake");
    base_repo(&root);
    let other = "modules/security/lockdown.nix";
    write(
        &root,
        other,
        "{ config, lib, ... }:\nlet\n  cfg = config.panther.security.firewall;\nin\n{\n  config = lib.mkIf cfg.enable {\n    networking.firewall.allowedTCPPorts = [ 80 443 ];\n    environment.etc.motd.text = \"a\";\n  };\n}\n",
    );
    let base = repo_support::commit_all(&root, "edge");
    apply(
        &root,
        &Replace(
            "modules/security/firewall.nix",
            "[ 80 443 ]",
            "[ 80 443 8080 ]",
        ),
    );
    apply(&root, &Replace(other, "\"a\"", "\"b\""));
    let head = repo_support::commit_all(&root, "port");
    let doc = repo_support::json(&repo_support::openspec(
        &root,
        &["impact", "--base", &base, "--head", &head, "--json"],
    ));
    let places: Vec<(String, String)> = doc["category_findings"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|f| f["category"] == "security-model")
        .map(|f| {
            (
                f["file"].as_str().unwrap_or("").to_string(),
                f["attr"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    assert_eq!(
        places,
        [(
            "modules/security/firewall.nix".to_string(),
            "networking.firewall.allowedTCPPorts".to_string()
        )],
        "{doc:#}"
    );
}
