//! `cargo bench --bench impact_repo`: the whole `openspec` process on a real
//! flake repository of the user's, for the three questions asked most:
//! one changed module (`impact --files`), the last commit (`impact --base
//! HEAD~1 --head HEAD`: two sides read from git) and every active change
//! (`impact --changes`). Prints wall time (min/median/max), CPU time, peak
//! RSS and the targets (15 ms, 25 ms, 100 ms; median of 30, 2 CPUs).
//!
//! The repository is not part of this one: point OPENSPEC_BENCH_REPO at a
//! git clone of a multi-host flake (pantherOS was the one measured), and
//! OPENSPEC_BENCH_MODULE at one module in it (default
//! `modules/security/1password.nix`). Without OPENSPEC_BENCH_REPO nothing is
//! measured, and the output says so.
//!
//! Knobs: OPENSPEC_BENCH_RUNS=30, OPENSPEC_BENCH_CPUS=2, OPENSPEC_BENCH_BIN=<another build>.
#[path = "scale_measure.rs"]
mod scale_measure;

use std::time::Duration;

use scale_measure::ms;

fn env_usize(name: &str) -> Option<usize> {
    std::env::var(name).ok().and_then(|v| v.trim().parse().ok())
}

fn main() {
    if !scale_measure::invoked_as_bench("impact_repo") {
        return;
    }
    let Some(repo) = std::env::var_os("OPENSPEC_BENCH_REPO") else {
        println!(
            "impact_repo: NOT MEASURED: set OPENSPEC_BENCH_REPO to a git clone of a multi-host flake"
        );
        return;
    };
    let repo = std::path::PathBuf::from(repo);
    let module = std::env::var("OPENSPEC_BENCH_MODULE")
        .unwrap_or_else(|_| "modules/security/1password.nix".into());
    let runs = env_usize("OPENSPEC_BENCH_RUNS").unwrap_or(30);
    let cpus = env_usize("OPENSPEC_BENCH_CPUS").unwrap_or(2);
    let bin = scale_measure::binary();
    let root = repo.to_string_lossy().into_owned();
    println!("== openspec impact on {root}, whole process ==");
    println!("binary: {}", bin.display());
    println!("{}", scale_measure::cores_note(cpus));
    let cases: [(&str, Vec<&str>, Duration); 4] = [
        ("--version (floor)", vec!["--version"], Duration::ZERO),
        (
            "impact --files <module>",
            vec!["--root", &root, "impact", "--files", &module, "--json"],
            Duration::from_millis(15),
        ),
        (
            "impact --base HEAD~1 --head HEAD",
            vec![
                "--root", &root, "impact", "--base", "HEAD~1", "--head", "HEAD", "--json",
            ],
            Duration::from_millis(25),
        ),
        (
            "impact --changes",
            vec!["--root", &root, "impact", "--changes", "--json"],
            Duration::from_millis(100),
        ),
    ];
    println!("{} {:>8}", scale_measure::header(34), "target");
    for (name, args, target) in &cases {
        let s = match scale_measure::measure(bin, args, cpus, 3, runs) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("impact_repo: cannot run {}: {e}", bin.display());
                std::process::exit(2);
            }
        };
        let verdict = if target.is_zero() {
            String::new()
        } else if s.wall_median <= *target {
            format!("{} met", ms(*target))
        } else {
            format!("{} MISSED", ms(*target))
        };
        println!("{} {verdict}", scale_measure::row(name, &s, 34));
    }
    println!(
        "phases: OPENSPEC_TIMING=1 openspec --root {root} impact --base HEAD~1 --head HEAD --json"
    );
}
