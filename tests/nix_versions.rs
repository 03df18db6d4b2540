//! Version branching of the Nix bindings against the command lines and JSON
//! shapes of Nix 2.8, 2.15, 2.19 and 2.32 (fixtures in tests/fixtures/nix-json).
use std::path::{Path, PathBuf};

use openspec::nix::{
    Flavor, Nix, NixSettings, NixVersion, StorePath, parse_build_results, parse_derivations,
    parse_path_info,
};

const VERSIONS: [&str; 4] = ["2.8", "2.15", "2.19", "2.32"];
const DRV: &str = "/nix/store/1b9p07z77phvv2hf6gm9f28syp39f1ag-nixos-system-yoga.drv";
const OUT: &str = "/nix/store/7w2yj3rl9xg1n4qmcz8b0fsd6k5vph3a-nixos-system-yoga";

fn fixture(version: &str, file: &str) -> String {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/nix-json")
        .join(version)
        .join(file);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn nix_for(version: &str) -> Nix {
    let v = NixVersion::parse(&fixture(version, "version.txt")).expect("version parses");
    Nix::new(PathBuf::from("/usr/bin/nix"), v, NixSettings::default())
}

fn drv() -> StorePath {
    StorePath::parse(DRV, "/nix/store").unwrap()
}

#[test]
fn versions_parse_for_nix_and_lix() {
    let v = NixVersion::parse(&fixture("2.8", "version.txt")).unwrap();
    assert_eq!(
        (v.flavor, v.major, v.minor, v.patch),
        (Flavor::Nix, 2, 8, 0)
    );
    let lix = NixVersion::parse(
        &std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/nix-json/lix-version.txt"),
        )
        .unwrap(),
    )
    .unwrap();
    assert_eq!((lix.flavor, lix.major, lix.minor), (Flavor::Lix, 2, 91));
    let det = NixVersion::parse("nix (Determinate Nix 3.6.2) 2.29.0").unwrap();
    assert_eq!((det.flavor, det.minor), (Flavor::Nix, 29));
    let pre = NixVersion::parse("nix (Nix) 2.24.0pre20240101_dirty\n").unwrap();
    assert_eq!((pre.minor, pre.patch), (24, 0));
    assert!(NixVersion::parse("command not found").is_none());
}

#[test]
fn show_derivation_command_follows_the_version() {
    let expect = [
        ("2.8", vec!["show-derivation", DRV]),
        ("2.15", vec!["derivation", "show", DRV]),
        ("2.19", vec!["derivation", "show", DRV]),
        ("2.32", vec!["derivation", "show", DRV]),
    ];
    for (v, argv) in expect {
        assert_eq!(nix_for(v).show_derivation_args(&[drv()]), argv, "nix {v}");
    }
}

#[test]
fn build_installable_gets_caret_star_from_2_15() {
    let link = Path::new("/repo/openspec/changes/x/verification/gcroots/yoga");
    for v in VERSIONS {
        let args = nix_for(v).build_args(&drv(), Some(link));
        let installable = if v == "2.8" {
            DRV.to_string()
        } else {
            format!("{DRV}^*")
        };
        assert_eq!(
            args,
            [
                "build",
                "--json",
                "-L",
                "--out-link",
                link.to_str().unwrap(),
                installable.as_str()
            ],
            "nix {v}"
        );
    }
    let f = nix_for("2.8").features;
    assert!(!f.print_out_paths && !f.drv_caret_outputs);
    assert!(nix_for("2.15").features.drv_caret_outputs);
}

#[test]
fn lix_keeps_the_2_18_interface() {
    let lix = NixVersion::parse("nix (Lix, like Nix) 2.91.1").unwrap();
    let f = lix.features();
    assert!(f.derivation_show && f.drv_needs_caret);
    assert!(!f.path_info_map && !f.drv_json_base_names);
}

#[test]
fn remote_store_gets_no_out_link_and_settings_pass_through() {
    let v = NixVersion::parse("nix (Nix) 2.19.2").unwrap();
    let settings = NixSettings {
        store: Some("ssh-ng://ci".into()),
        builders: Some("ssh://b1 x86_64-linux - 4".into()),
        ..Default::default()
    };
    let nix = Nix::new(PathBuf::from("nix"), v, settings);
    let args = nix.build_args(&drv(), Some(Path::new("/tmp/root")));
    assert!(args.contains(&"--no-link".to_string()));
    assert!(!args.contains(&"--out-link".to_string()));
    assert!(args.windows(2).any(|w| w == ["--store", "ssh-ng://ci"]));
    assert!(
        args.windows(2)
            .any(|w| w == ["--builders", "ssh://b1 x86_64-linux - 4"])
    );
    let eval = nix
        .eval_toplevel_args("/repo", openspec::nix::HostKind::Nixos, "yoga")
        .unwrap();
    assert_eq!(
        eval[..4],
        [
            "eval",
            "--raw",
            "--no-write-lock-file",
            "/repo#nixosConfigurations.\"yoga\".config.system.build.toplevel.drvPath"
        ]
    );
    assert!(
        nix.eval_toplevel_args("/repo", openspec::nix::HostKind::Nixos, "a\"b")
            .is_err()
    );
}

#[test]
fn derivation_json_of_every_version_parses_to_the_same_derivation() {
    let parsed: Vec<_> = VERSIONS
        .iter()
        .map(|v| {
            let mut d = parse_derivations(&fixture(v, "derivation.json"), "/nix/store")
                .unwrap_or_else(|e| panic!("nix {v}: {e}"));
            assert_eq!(d.len(), 1, "nix {v}");
            d.remove(0)
        })
        .collect();
    let first = &parsed[0];
    assert_eq!(first.path.as_str(), DRV);
    assert_eq!(first.name, "nixos-system-yoga");
    assert_eq!(first.outputs["out"].as_ref().unwrap().as_str(), OUT);
    assert_eq!(first.input_drvs.len(), 1);
    let (etc, outs) = first.input_drvs.iter().next().unwrap();
    assert_eq!(etc.name(), "etc.drv");
    assert!(outs.contains("out"));
    assert_eq!(first.input_srcs.len(), 1);
    assert_eq!(
        first.env["etc"].len(),
        "/nix/store/".len() + 32 + "-etc".len()
    );
    for (v, d) in VERSIONS.iter().zip(&parsed) {
        assert_eq!(d, first, "nix {v} differs from 2.8");
    }
}

#[test]
fn path_info_list_and_map_give_the_same_closure_size() {
    for v in VERSIONS {
        let infos = parse_path_info(&fixture(v, "path-info.json"), "/nix/store")
            .unwrap_or_else(|e| panic!("nix {v}: {e}"));
        let top = infos.iter().find(|i| i.path.as_str() == OUT).unwrap();
        assert_eq!(top.closure_size, Some(4216), "nix {v}");
        assert_eq!(top.nar_size, Some(120), "nix {v}");
        assert!(top.valid);
        let etc = infos.iter().find(|i| i.path.as_str() != OUT).unwrap();
        assert!(!etc.valid, "nix {v}: invalid path reported as valid");
    }
    assert!(nix_for("2.19").features.path_info_map);
    assert!(!nix_for("2.15").features.path_info_map);
}

#[test]
fn build_json_gives_out_paths() {
    for v in VERSIONS {
        let r = parse_build_results(&fixture(v, "build.json"), "/nix/store").unwrap();
        assert_eq!(r[0].drv_path.as_str(), DRV, "nix {v}");
        assert_eq!(r[0].outputs["out"].as_str(), OUT, "nix {v}");
    }
}

#[test]
fn malformed_json_is_an_error_not_a_panic() {
    assert!(parse_derivations("[1,2]", "/nix/store").is_err());
    assert!(parse_derivations("{\"not-a-path\": {}}", "/nix/store").is_err());
    assert!(parse_path_info("\"x\"", "/nix/store").is_err());
    assert!(parse_build_results("{", "/nix/store").is_err());
}
