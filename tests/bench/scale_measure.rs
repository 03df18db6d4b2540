//! Process measurement for the analysis benches: wall time with `Instant`
//! around spawn..reap, and the child's own peak RSS and CPU time from
//! `wait4`'s rusage (not the bench process's).
#![allow(dead_code)] // shared by two benches that use different parts

use std::ffi::OsStr;
use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// One run of the child.
#[derive(Debug, Clone)]
pub struct Sample {
    pub wall: Duration,
    pub cpu: Duration,
    pub max_rss_kib: u64,
    pub code: i32,
    pub stdout_bytes: usize,
}

/// Restrict this process, and so every child it starts, to at most `n` of
/// the CPUs it may use, so figures mean "on n cores" on a bigger machine
/// too (rayon sizes its pool from the affinity mask). The mask is set here
/// rather than in the child: a `pre_exec` hook makes every spawn a fork and
/// exec instead of a `posix_spawn`, a cost of the harness that would be
/// counted as the child's.
fn limit_cpus(n: usize) {
    static DONE: std::sync::OnceLock<()> = std::sync::OnceLock::new();
    DONE.get_or_init(|| {
        // SAFETY: sched_{get,set}affinity on this process with a stack-local cpu_set_t.
        unsafe {
            let mut set: libc::cpu_set_t = std::mem::zeroed();
            if libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut set) != 0 {
                return;
            }
            let mut keep: libc::cpu_set_t = std::mem::zeroed();
            let mut kept = 0;
            for cpu in 0..libc::CPU_SETSIZE as usize {
                if kept == n {
                    break;
                }
                if libc::CPU_ISSET(cpu, &set) {
                    libc::CPU_SET(cpu, &mut keep);
                    kept += 1;
                }
            }
            libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &keep);
        }
    });
}

/// Counts what passes through, so the sink can stop early and the rest is still counted.
struct Counting<R> {
    inner: R,
    n: usize,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.n += n;
        Ok(n)
    }
}

/// Run `bin args` once on at most `cpus` CPUs. `sink` reads stdout as it
/// arrives (whatever it leaves is drained and counted); its result is
/// returned with the sample and stderr. Outputs can be hundreds of MB: a
/// sink that keeps them would also grow this process, and a forked child's
/// peak RSS starts from its parent's size, so measured runs use `discard`.
pub fn run_once<S, T, F>(
    bin: &Path,
    args: &[S],
    cpus: usize,
    sink: F,
) -> std::io::Result<(Sample, T, String)>
where
    S: AsRef<OsStr>,
    T: Send + 'static,
    F: FnOnce(&mut dyn Read) -> T + Send + 'static,
{
    limit_cpus(cpus);
    // The pipes and their readers exist before the clock starts: starting
    // threads is the harness's cost, not the child's.
    let (out, out_w) = std::io::pipe()?;
    let (mut err, err_w) = std::io::pipe()?;
    let mut cmd = Command::new(bin);
    cmd.args(args)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(out_w)
        .stderr(err_w);
    let out_reader = std::thread::spawn(move || {
        let mut counting = Counting { inner: out, n: 0 };
        let result = sink(&mut counting);
        let _ = std::io::copy(&mut counting, &mut std::io::sink());
        (counting.n, result)
    });
    let err_reader = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = err.read_to_end(&mut s);
        String::from_utf8_lossy(&s).into_owned()
    });

    let started = Instant::now();
    let child = cmd.spawn()?;
    // Our copies of the write ends go, so the readers see the end of output.
    drop(cmd);
    let pid = child.id() as libc::pid_t;
    let mut status: libc::c_int = 0;
    // SAFETY: rusage is plain old data; wait4 fills it for our own child.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        let r = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
        if r == pid {
            break;
        }
        let e = std::io::Error::last_os_error();
        if e.kind() != std::io::ErrorKind::Interrupted {
            return Err(e);
        }
    }
    let wall = started.elapsed();
    // The child is reaped: `Child` must not wait again (dropping it does not).
    drop(child);

    let (stdout_bytes, result) = out_reader
        .join()
        .map_err(|_| std::io::Error::other("stdout reader panicked"))?;
    let stderr = err_reader.join().unwrap_or_default();
    let code = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        -libc::WTERMSIG(status)
    };
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, (t.tv_usec as u32) * 1000);
    Ok((
        Sample {
            wall,
            cpu: tv(usage.ru_utime) + tv(usage.ru_stime),
            // Linux reports ru_maxrss in KiB.
            max_rss_kib: usage.ru_maxrss as u64,
            code,
            stdout_bytes,
        },
        result,
        stderr,
    ))
}

/// A sink that keeps nothing.
pub fn discard(_: &mut dyn Read) {}

/// A sink that keeps everything (for small outputs only).
pub fn keep(r: &mut dyn Read) -> Vec<u8> {
    let mut v = Vec::new();
    let _ = r.read_to_end(&mut v);
    v
}

/// Summary of several runs.
#[derive(Debug, Clone)]
pub struct Stats {
    pub runs: usize,
    pub wall_min: Duration,
    pub wall_median: Duration,
    pub wall_max: Duration,
    pub cpu_median: Duration,
    pub max_rss_kib: u64,
    pub codes: Vec<i32>,
    pub stdout_bytes: usize,
}

pub fn stats(samples: &[Sample]) -> Stats {
    let mut walls: Vec<Duration> = samples.iter().map(|s| s.wall).collect();
    walls.sort();
    let mut cpus: Vec<Duration> = samples.iter().map(|s| s.cpu).collect();
    cpus.sort();
    let mut codes: Vec<i32> = samples.iter().map(|s| s.code).collect();
    codes.sort();
    codes.dedup();
    Stats {
        runs: samples.len(),
        wall_min: walls.first().copied().unwrap_or_default(),
        wall_median: median(&walls),
        wall_max: walls.last().copied().unwrap_or_default(),
        cpu_median: median(&cpus),
        max_rss_kib: samples.iter().map(|s| s.max_rss_kib).max().unwrap_or(0),
        codes,
        stdout_bytes: samples.iter().map(|s| s.stdout_bytes).max().unwrap_or(0),
    }
}

fn median(sorted: &[Duration]) -> Duration {
    match sorted.len() {
        0 => Duration::ZERO,
        n if n % 2 == 1 => sorted[n / 2],
        n => (sorted[n / 2 - 1] + sorted[n / 2]) / 2,
    }
}

/// `warmup` unmeasured runs, then `runs` measured ones whose output is discarded.
pub fn measure<S: AsRef<OsStr>>(
    bin: &Path,
    args: &[S],
    cpus: usize,
    warmup: usize,
    runs: usize,
) -> std::io::Result<Stats> {
    for _ in 0..warmup {
        run_once(bin, args, cpus, discard)?;
    }
    let mut samples = Vec::with_capacity(runs);
    for _ in 0..runs {
        samples.push(run_once(bin, args, cpus, discard)?.0);
    }
    Ok(stats(&samples))
}

/// The header of a table of `row`s, the first column `width` wide.
pub fn header(width: usize) -> String {
    format!(
        "{:<width$} {:>5} {:>10} {:>11} {:>10} {:>11} {:>10} {:>5}",
        "command", "runs", "wall min", "wall median", "wall max", "cpu median", "peak RSS", "exit"
    )
}

/// One command's figures: runs, wall min/median/max, CPU median, peak RSS,
/// exit codes; the first column `width` wide.
pub fn row(name: &str, s: &Stats, width: usize) -> String {
    format!(
        "{:<width$} {:>5} {:>10} {:>11} {:>10} {:>11} {:>10} {:>5}",
        name,
        s.runs,
        ms(s.wall_min),
        ms(s.wall_median),
        ms(s.wall_max),
        ms(s.cpu_median),
        mib(s.max_rss_kib),
        s.codes
            .iter()
            .map(|c| c.to_string())
            .collect::<Vec<_>>()
            .join(",")
    )
}

pub fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

pub fn mib(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}

pub fn bytes(n: usize) -> String {
    if n >= 1 << 20 {
        format!("{:.1} MiB", n as f64 / (1u64 << 20) as f64)
    } else if n >= 1 << 10 {
        format!("{:.1} KiB", n as f64 / 1024.0)
    } else {
        format!("{n} B")
    }
}

/// The first telling line of what a failing run said, for the report.
pub fn first_line(stdout: &[u8], stderr: &str) -> String {
    if let Ok(doc) = serde_json::from_slice::<serde_json::Value>(stdout)
        && let Some(m) = doc["error"]["message"].as_str()
    {
        return m.chars().take(160).collect();
    }
    let text = String::from_utf8_lossy(stdout);
    let mut lines = stderr.lines().chain(text.lines());
    lines
        .find(|l| !matches!(l.trim(), "" | "{" | "}" | "\"error\": {"))
        .unwrap_or("")
        .trim()
        .chars()
        .take(160)
        .collect()
}

/// Peak RSS of a trivial child measured the same way: the floor every figure
/// includes (a forked child starts from a copy of this process's pages).
pub fn rss_floor(cpus: usize) -> String {
    match run_once(Path::new("/bin/true"), &[] as &[&str], cpus, discard) {
        Ok((s, _, _)) => mib(s.max_rss_kib),
        Err(e) => format!("unknown ({e})"),
    }
}

/// `cargo bench` passes `--bench`; `cargo test --benches` does not. Return
/// false (after saying why) when the bench is run as a test, so that stays fast.
pub fn invoked_as_bench(name: &str) -> bool {
    if std::env::args().any(|a| a == "--bench") {
        return true;
    }
    println!(
        "{name}: benchmark; run it with `cargo bench --bench {name}` (skipped under cargo test)"
    );
    false
}

/// The binary under test: cargo builds it with the bench profile (release)
/// for `cargo bench`.
/// The binary measured: this tree's, or OPENSPEC_BENCH_BIN (another build,
/// e.g. an older commit's, to compare two builds under the same load).
pub fn binary() -> &'static Path {
    static BIN: std::sync::OnceLock<std::path::PathBuf> = std::sync::OnceLock::new();
    BIN.get_or_init(|| {
        std::env::var_os("OPENSPEC_BENCH_BIN")
            .map(std::path::PathBuf::from)
            .unwrap_or_else(|| env!("CARGO_BIN_EXE_openspec").into())
    })
}

pub fn cores_note(cpus: usize) -> String {
    let online = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    format!(
        "child limited to {} of {online} available CPUs",
        cpus.min(online)
    )
}
