//! `cargo bench --bench scale`: `openspec hosts --json` on generated
//! pantherOS-like flakes of 200 hosts and 1k, 10k and 50k module files (see
//! scale_gen.rs), run as a process on at most 2 CPUs. Prints wall time
//! (min/median over several runs), CPU time, the child's peak RSS, the size
//! of the JSON it printed, and how each grows with the number of files.
//! Targets (issue 2) at 10k files: under 1 s wall and under 150 MB peak RSS.
//!
//! Knobs: OPENSPEC_BENCH_SIZES=1000,10000,50000 (module files),
//! OPENSPEC_BENCH_HOSTS=200, OPENSPEC_BENCH_RUNS=5 (3 above 20k files),
//! OPENSPEC_BENCH_CPUS=2, OPENSPEC_BENCH_DIR=D (keep the generated flakes in D).
#[path = "scale_gen.rs"]
mod scale_gen;
#[path = "scale_measure.rs"]
mod scale_measure;

use std::io::Read;
use std::time::{Duration, Instant};

use scale_measure::{Stats, bytes, mib, ms};

const WALL_TARGET: Duration = Duration::from_secs(1);
const RSS_TARGET_KIB: u64 = 150 * 1000 * 1000 / 1024; // 150 MB
const TARGET_FILES: usize = 10_000;

fn env_list(name: &str, default: &[usize]) -> Vec<usize> {
    std::env::var(name)
        .ok()
        .map(|v| v.split(',').filter_map(|s| s.trim().parse().ok()).collect())
        .filter(|v: &Vec<usize>| !v.is_empty())
        .unwrap_or_else(|| default.to_vec())
}

fn env_usize(name: &str) -> Option<usize> {
    std::env::var(name).ok().and_then(|v| v.trim().parse().ok())
}

/// What `hosts --json` said, read as a stream (the document can be hundreds of MB).
#[derive(serde::Deserialize)]
struct HostsDoc {
    hosts: Vec<HostLite>,
    #[serde(default)]
    diagnostics: Vec<serde::de::IgnoredAny>,
}

#[derive(serde::Deserialize)]
struct HostLite {
    #[serde(default)]
    files: Vec<serde::de::IgnoredAny>,
    #[serde(default)]
    whole_source: bool,
}

struct Check {
    code: i32,
    summary: String,
    ok: bool,
}

/// One unmeasured run whose output is parsed as it streams: is it the answer?
fn check_output(root: &str, hosts: usize, cpus: usize) -> std::io::Result<Check> {
    let args = ["--root", root, "hosts", "--json"];
    let (sample, parsed, stderr) =
        scale_measure::run_once(scale_measure::binary(), &args, cpus, |r: &mut dyn Read| {
            // Keep the head for an error message; stream the rest into the parser.
            let mut head = Vec::new();
            let _ = r.take(64 * 1024).read_to_end(&mut head);
            let doc = serde_json::from_reader::<_, HostsDoc>(std::io::BufReader::new(
                head.as_slice().chain(r),
            ))
            .map_err(|e| e.to_string());
            (doc, head)
        })?;
    let (parsed, head) = parsed;
    let (ok, summary) = match (sample.code, parsed) {
        (0, Ok(doc)) => {
            let listed = doc.hosts.len();
            let files: usize = doc.hosts.iter().map(|h| h.files.len()).sum();
            let whole = doc.hosts.iter().filter(|h| h.whole_source).count();
            let ok = listed == hosts && whole == 0;
            (
                ok,
                format!(
                    "{listed}/{hosts} hosts listed, {:.0} files per host on average, {whole} whole-source, {} diagnostics{}",
                    files as f64 / listed.max(1) as f64,
                    doc.diagnostics.len(),
                    if ok { "" } else { "  <-- WRONG ANSWER" }
                ),
            )
        }
        (code, parsed) => (
            false,
            format!(
                "exit {code}{}: {}",
                parsed
                    .err()
                    .map(|e| format!(" (stdout: {e})"))
                    .unwrap_or_default(),
                scale_measure::first_line(&head, &stderr)
            ),
        ),
    };
    Ok(Check {
        code: sample.code,
        summary,
        ok,
    })
}

struct Row {
    module_files: usize,
    files: usize,
    hosts: usize,
    stats: Stats,
    check: Check,
}

fn main() {
    if !scale_measure::invoked_as_bench("scale") {
        return;
    }
    let sizes = env_list("OPENSPEC_BENCH_SIZES", &[1_000, 10_000, 50_000]);
    let hosts = env_usize("OPENSPEC_BENCH_HOSTS").unwrap_or(200);
    let cpus = env_usize("OPENSPEC_BENCH_CPUS").unwrap_or(2);
    let bin = scale_measure::binary();

    println!("== openspec scale bench: `openspec --root <generated flake> hosts --json` ==");
    println!("binary: {}", bin.display());
    println!("{}", scale_measure::cores_note(cpus));
    println!(
        "peak RSS floor (a forked /bin/true): {}",
        scale_measure::rss_floor(cpus)
    );
    println!();

    let mut rows: Vec<Row> = Vec::new();
    for &n in &sizes {
        let tmp = match tempfile::tempdir() {
            Ok(t) => t,
            Err(e) => {
                eprintln!("scale: cannot create a temp dir: {e}");
                std::process::exit(2);
            }
        };
        // OPENSPEC_BENCH_DIR=D keeps each generated flake in D/<size> for inspection.
        let dir = match std::env::var_os("OPENSPEC_BENCH_DIR") {
            Some(d) => std::path::PathBuf::from(d).join(n.to_string()),
            None => tmp.path().to_path_buf(),
        };
        let started = Instant::now();
        let generated = match scale_gen::generate(
            &dir,
            &scale_gen::Spec {
                hosts,
                module_files: n,
            },
        ) {
            Ok(g) => g,
            Err(e) => {
                eprintln!("scale: cannot generate the flake: {e}");
                std::process::exit(2);
            }
        };
        println!(
            "generated {} files ({} .nix, {} under modules/, {} leaf modules, {}) for {hosts} hosts in {:.1?}",
            generated.files,
            generated.nix_files,
            generated.module_files,
            generated.leaf_modules,
            bytes(generated.bytes as usize),
            started.elapsed()
        );
        let root = dir.to_string_lossy().into_owned();
        let check = match check_output(&root, hosts, cpus) {
            Ok(c) => c,
            Err(e) => {
                eprintln!("scale: cannot run {}: {e}", bin.display());
                std::process::exit(2);
            }
        };
        println!("  answer: {}", check.summary);
        let runs = env_usize("OPENSPEC_BENCH_RUNS").unwrap_or(if n > 20_000 { 3 } else { 5 });
        let args = ["--root", root.as_str(), "hosts", "--json"];
        let stats = match scale_measure::measure(bin, &args, cpus, 1, runs) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("scale: cannot run {}: {e}", bin.display());
                std::process::exit(2);
            }
        };
        println!(
            "  {runs} runs: wall min {} / median {} / max {}, cpu median {}, peak RSS {}, stdout {}",
            ms(stats.wall_min),
            ms(stats.wall_median),
            ms(stats.wall_max),
            ms(stats.cpu_median),
            mib(stats.max_rss_kib),
            bytes(stats.stdout_bytes)
        );
        rows.push(Row {
            module_files: generated.module_files,
            files: generated.files,
            hosts,
            stats,
            check,
        });
    }

    println!();
    println!(
        "{:>8} {:>8} {:>6} {:>11} {:>11} {:>11} {:>11} {:>10} {:>12} {:>5}",
        "modules",
        "files",
        "hosts",
        "wall min",
        "wall median",
        "cpu median",
        "peak RSS",
        "stdout",
        "growth",
        "exit"
    );
    let mut prev: Option<&Row> = None;
    for r in &rows {
        let growth = match prev {
            Some(p) => format!(
                "x{:.1} / x{:.1}",
                r.stats.wall_median.as_secs_f64() / p.stats.wall_median.as_secs_f64().max(1e-9),
                r.files as f64 / p.files.max(1) as f64
            ),
            None => "-".to_string(),
        };
        println!(
            "{:>8} {:>8} {:>6} {:>11} {:>11} {:>11} {:>11} {:>10} {:>12} {:>5}",
            r.module_files,
            r.files,
            r.hosts,
            ms(r.stats.wall_min),
            ms(r.stats.wall_median),
            ms(r.stats.cpu_median),
            mib(r.stats.max_rss_kib),
            bytes(r.stats.stdout_bytes),
            growth,
            r.check.code
        );
        prev = Some(r);
    }
    println!("growth: median wall time ratio / file count ratio against the previous row");
    println!();

    let at_target = rows
        .iter()
        .min_by_key(|r| r.module_files.abs_diff(TARGET_FILES));
    match at_target {
        Some(r) if r.module_files.abs_diff(TARGET_FILES) <= TARGET_FILES / 10 => {
            let verdict = |ok: bool| match (r.check.ok, ok) {
                (false, _) => "not judged: wrong answer",
                (true, true) => "met",
                (true, false) => "MISSED",
            };
            println!(
                "target at {} module files, {} hosts: wall median {} (< {}: {}), peak RSS {} (< 150 MB = 143.1 MiB: {})",
                r.module_files,
                r.hosts,
                ms(r.stats.wall_median),
                ms(WALL_TARGET),
                verdict(r.stats.wall_median < WALL_TARGET),
                mib(r.stats.max_rss_kib),
                verdict(r.stats.max_rss_kib < RSS_TARGET_KIB),
            );
        }
        _ => println!(
            "target: no run at about {TARGET_FILES} module files (set OPENSPEC_BENCH_SIZES)"
        ),
    }
    if rows.iter().any(|r| r.check.code != 0) {
        println!(
            "NOTE: `hosts --json` did not succeed; these figures time a failing command, not the analysis."
        );
    }
}
