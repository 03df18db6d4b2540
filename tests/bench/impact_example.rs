//! `cargo bench --bench impact_example`: the whole `openspec` process for
//! `openspec --root tests/fixtures/example impact --files modules/security/ssh.nix --json`,
//! run many times on at most 2 CPUs. Prints wall time (min/median/max), CPU
//! time and peak RSS, next to `openspec --version` as the process floor.
//! Target (issue 2): under 20 ms wall.
//!
//! When tests/fixtures/example is missing, a stand-in of the same shape
//! (scale_gen.rs: 4 hosts, about 200 module files, modules/security/ssh.nix)
//! is generated in a temp dir, and the output says so.
//!
//! Knobs: OPENSPEC_BENCH_RUNS=30, OPENSPEC_BENCH_CPUS=2, OPENSPEC_BENCH_BIN=<another build>.
#[path = "scale_gen.rs"]
mod scale_gen;
#[path = "scale_measure.rs"]
mod scale_measure;

use std::path::PathBuf;
use std::time::Duration;

use scale_measure::ms;

const TARGET: Duration = Duration::from_millis(20);
const CHANGED: &str = "modules/security/ssh.nix";

fn env_usize(name: &str) -> Option<usize> {
    std::env::var(name).ok().and_then(|v| v.trim().parse().ok())
}

fn main() {
    if !scale_measure::invoked_as_bench("impact_example") {
        return;
    }
    let runs = env_usize("OPENSPEC_BENCH_RUNS").unwrap_or(30);
    let cpus = env_usize("OPENSPEC_BENCH_CPUS").unwrap_or(2);
    let bin = scale_measure::binary();

    let fixture = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/example");
    let mut _stand_in = None;
    let (root, what) = if fixture.join("flake.nix").is_file() {
        (fixture, "the bundled example flake".to_string())
    } else {
        let tmp = match tempfile::tempdir() {
            Ok(t) => t,
            Err(e) => {
                eprintln!("impact_example: cannot create a temp dir: {e}");
                std::process::exit(2);
            }
        };
        let g = match scale_gen::generate(
            tmp.path(),
            &scale_gen::Spec {
                hosts: 4,
                module_files: 200,
            },
        ) {
            Ok(g) => g,
            Err(e) => {
                eprintln!("impact_example: cannot generate the stand-in flake: {e}");
                std::process::exit(2);
            }
        };
        let root = tmp.path().to_path_buf();
        _stand_in = Some(tmp);
        (
            root,
            format!(
                "a GENERATED STAND-IN ({} files, {} .nix, 4 hosts): tests/fixtures/example does not exist in this tree",
                g.files, g.nix_files
            ),
        )
    };
    let root_s = root.to_string_lossy().into_owned();

    println!("== openspec impact bench: one changed module, whole process ==");
    println!("binary: {}", bin.display());
    println!("flake: {} ({what})", root.display());
    println!("{}", scale_measure::cores_note(cpus));
    println!(
        "peak RSS floor (a forked /bin/true): {}",
        scale_measure::rss_floor(cpus)
    );

    let impact = ["--root", &root_s, "impact", "--files", CHANGED, "--json"];
    let version = ["--version"];

    // One run whose output is kept: is the answer an impact report?
    let (first, stdout, stderr) =
        match scale_measure::run_once(bin, &impact, cpus, scale_measure::keep) {
            Ok(r) => r,
            Err(e) => {
                eprintln!("impact_example: cannot run {}: {e}", bin.display());
                std::process::exit(2);
            }
        };
    let answer = match (
        first.code,
        serde_json::from_slice::<serde_json::Value>(&stdout),
    ) {
        (0, Ok(doc)) if doc["affected_hosts"].is_array() => format!(
            "affected hosts {}, affected modules {}",
            doc["affected_hosts"],
            doc["affected_modules"].as_array().map_or(0, |a| a.len())
        ),
        (code, _) => format!(
            "exit {code}: {}  <-- NOT AN IMPACT REPORT",
            scale_measure::first_line(&stdout, &stderr)
        ),
    };
    println!("command: openspec --root {root_s} impact --files {CHANGED} --json");
    println!("answer: {answer}");
    println!();

    let measured = |args: &[&str]| match scale_measure::measure(bin, args, cpus, 3, runs) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("impact_example: cannot run {}: {e}", bin.display());
            std::process::exit(2);
        }
    };
    let floor = measured(&version);
    let stats = measured(&impact);

    println!("{}", scale_measure::header(28));
    for (name, s) in [
        ("openspec --version (floor)", &floor),
        ("impact --files ssh.nix", &stats),
    ] {
        println!("{}", scale_measure::row(name, s, 28));
    }
    println!();
    println!(
        "target: wall median {} < {}: {}",
        ms(stats.wall_median),
        ms(TARGET),
        if stats.wall_median < TARGET {
            "met"
        } else {
            "MISSED"
        }
    );
    if first.code != 0 {
        println!(
            "NOTE: the impact command failed; these figures time a failing command, not the analysis."
        );
    }
}
