//! The parallel engine: evaluations on a rayon pool of `jobs` workers, each
//! running short-lived evaluator processes over a chunk of hosts that report
//! every drvPath as soon as it is known; each host's build starts at once on
//! a separate set of `jobs` build workers, while other hosts still evaluate.
//! Every child runs in its own process group and is stopped on a timeout, on
//! fail-fast, or on Ctrl-C.
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, mpsc};
use std::time::{Duration, Instant};

use rayon::prelude::*;

use super::monitor::{Event, Sink};
use super::report::{Closure, HostResult, HostStatus};
use crate::nix::process::{Outcome, run_watched};
use crate::nix::{Nix, StorePath, error_tail};

#[derive(Debug, Clone)]
pub struct RunOptions {
    pub jobs: usize,
    pub eval_only: bool,
    pub keep_going: bool,
    /// Per host, evaluation and build together.
    pub timeout: Option<Duration>,
    /// `<host>.log` files go here.
    pub log_dir: PathBuf,
    /// Out-links (indirect GC roots) `<dir>/<host>`; None: no GC roots.
    pub gc_root_dir: Option<PathBuf>,
    /// Measure each built host's closure size.
    pub closure_sizes: bool,
    /// How log paths appear in the report (relative to this when below it).
    pub display_base: Option<PathBuf>,
    /// Hosts per evaluator process; None: spread the hosts evenly over the
    /// workers, at most `MAX_CHUNK` per process.
    pub chunk_size: Option<usize>,
    /// The kind of each host (`darwinConfigurations` or
    /// `nixosConfigurations`); a host not named here is a NixOS host.
    pub kinds: std::collections::BTreeMap<String, crate::nix::HostKind>,
    /// Also report each host's security facts from the evaluator that
    /// reports its drvPath (`HostResult::head_facts`).
    pub facts: bool,
}

impl RunOptions {
    /// The kind of `host` (NixOS unless named otherwise in `kinds`).
    pub fn kind(&self, host: &str) -> crate::nix::HostKind {
        self.kinds.get(host).copied().unwrap_or_default()
    }
}

/// Indices of `hosts` in chunks of at most `size`, every chunk of one kind
/// (one evaluator reads one flake output), kinds in `HostKind::ALL` order.
pub fn chunks_by_kind(hosts: &[String], opts: &RunOptions, size: usize) -> Vec<Vec<usize>> {
    let mut out = Vec::new();
    for kind in crate::nix::HostKind::ALL {
        let of_kind: Vec<usize> = (0..hosts.len())
            .filter(|&i| opts.kind(&hosts[i]) == kind)
            .collect();
        out.extend(of_kind.chunks(size.max(1)).map(<[usize]>::to_vec));
    }
    out
}

/// Several hosts share one evaluator (and its heap, and one copy of the
/// flake), which saves about a third of the CPU of one process per host. An
/// evaluator's memory grows with its hosts, so a chunk is capped at
/// `MAX_CHUNK` and at what the available memory allows per worker.
pub const MAX_CHUNK: usize = 8;

/// What a NixOS host adds to an evaluator's memory, roughly (colmena
/// assumes half of this; we stay on the safe side).
const BYTES_PER_HOST: u64 = 1 << 30;

pub fn chunk_size(hosts: usize, jobs: usize, asked: Option<usize>) -> usize {
    if let Some(n) = asked {
        return n.max(1);
    }
    let by_memory = available_memory().map_or(MAX_CHUNK, |m| {
        usize::try_from(m / BYTES_PER_HOST / jobs.max(1) as u64).unwrap_or(MAX_CHUNK)
    });
    hosts
        .div_ceil(jobs.max(1))
        .min(by_memory)
        .clamp(1, MAX_CHUNK)
}

/// `MemAvailable` of /proc/meminfo in bytes (Linux), None elsewhere.
fn available_memory() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

mod build;
mod evaluate;

const ERROR_LINES: usize = 12;

struct Engine<'a> {
    nix: &'a Nix,
    flake: &'a str,
    opts: &'a RunOptions,
    sink: &'a dyn Sink,
    /// Set on the first failure without --keep-going.
    abort: AtomicBool,
    results: Vec<Mutex<HostResult>>,
    /// What this machine builds, asked once when a toplevel is for another
    /// platform than this binary's (None: Nix could not say; build anyway).
    platforms: std::sync::OnceLock<Option<crate::nix::Platforms>>,
}

/// A host whose evaluation succeeded, queued for its build.
struct Evaluated {
    index: usize,
    drv: StorePath,
    /// What is left of the host's timeout.
    budget: Option<Duration>,
}

/// Evaluate (and build) `hosts` of `flake`; one result per host, in order.
pub fn run_hosts(
    nix: &Nix,
    flake: &str,
    hosts: &[String],
    opts: &RunOptions,
    sink: &dyn Sink,
) -> std::io::Result<Vec<HostResult>> {
    std::fs::create_dir_all(&opts.log_dir)?;
    if let Some(d) = &opts.gc_root_dir {
        std::fs::create_dir_all(d)?;
    }
    let jobs = opts.jobs.max(1);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(jobs)
        .thread_name(|i| format!("openspec-eval-{i}"))
        .build()
        .map_err(std::io::Error::other)?;
    let engine = Engine {
        nix,
        flake,
        opts,
        sink,
        abort: AtomicBool::new(false),
        results: hosts
            .iter()
            .map(|h| {
                let mut r = HostResult::new(h, HostStatus::Pending);
                r.kind = opts.kind(h);
                Mutex::new(r)
            })
            .collect(),
        platforms: std::sync::OnceLock::new(),
    };
    let (tx, rx) = mpsc::channel::<Evaluated>();
    let rx = Mutex::new(rx);
    std::thread::scope(|s| {
        if !opts.eval_only {
            for _ in 0..jobs {
                s.spawn(|| {
                    loop {
                        let next = match rx.lock() {
                            Ok(r) => r.recv(),
                            Err(_) => return,
                        };
                        match next {
                            Ok(job) => engine.build(job),
                            Err(_) => return,
                        }
                    }
                });
            }
        }
        let tx = tx;
        let size = chunk_size(hosts.len(), jobs, opts.chunk_size);
        let chunks = chunks_by_kind(hosts, opts, size);
        pool.install(|| {
            chunks
                .par_iter()
                .with_max_len(1)
                .for_each_with(tx.clone(), |tx, c| engine.evaluate_chunk(c, tx));
        });
        drop(tx);
    });
    let mut results: Vec<HostResult> = engine
        .results
        .into_iter()
        .map(|m| m.into_inner().unwrap_or_else(|p| p.into_inner()))
        .collect();
    if opts.closure_sizes && !nix.interrupt_flag().load(Ordering::SeqCst) {
        add_closure_sizes(nix, &mut results);
    }
    Ok(results)
}

/// Closure sizes of every built output, in one `nix path-info` call.
fn add_closure_sizes(nix: &Nix, results: &mut [HostResult]) {
    let outs: Vec<StorePath> = results
        .iter()
        .filter_map(|r| r.out_path.as_deref())
        .filter_map(|p| StorePath::parse(p, nix.store_dir()).ok())
        .collect();
    if outs.is_empty() {
        return;
    }
    let Ok(sizes) = nix.closure_sizes(&outs) else {
        return;
    };
    for r in results.iter_mut() {
        if let Some(size) = r
            .out_path
            .as_deref()
            .and_then(|p| sizes.iter().find(|(k, _)| k.as_str() == p).map(|(_, v)| *v))
        {
            r.closure = Some(Closure {
                head_bytes: Some(size),
                ..Closure::default()
            });
        }
    }
}

impl Engine<'_> {
    fn interrupted(&self) -> bool {
        self.nix.interrupt_flag().load(Ordering::SeqCst)
    }

    fn name(&self, i: usize) -> String {
        self.with(i, |r| r.name.clone())
    }

    /// Why a toplevel for `system` is not built here, or None to build it:
    /// the system is this binary's platform, one Nix builds for
    /// (`extra-platforms`), or remote builders (or another store) may take it.
    fn cannot_build(&self, system: &str) -> Option<String> {
        if system == crate::nix::Platforms::native() {
            return None;
        }
        let platforms = self
            .platforms
            .get_or_init(|| self.nix.platforms().ok())
            .as_ref()?;
        (!platforms.can_build(system)).then(|| {
            format!(
                "its toplevel is built for {system}, and this machine builds for {} with no remote builder; pass --builders (or --store) for a machine that builds {system}",
                platforms.systems.join(", ")
            )
        })
    }

    fn with<T>(&self, i: usize, f: impl FnOnce(&mut HostResult) -> T) -> T {
        let mut guard = self.results[i].lock().unwrap_or_else(|p| p.into_inner());
        f(&mut guard)
    }

    /// Skip (not started because of an earlier failure) or cancel (Ctrl-C) before a step.
    fn should_stop(&self, i: usize) -> bool {
        let status = if self.interrupted() {
            HostStatus::Cancelled
        } else if self.abort.load(Ordering::SeqCst) {
            HostStatus::Skipped
        } else {
            return false;
        };
        self.finish(i, |r| {
            r.status = status;
            if status == HostStatus::Skipped {
                r.reason = Some("not started: another host failed first (no --keep-going)".into());
            }
        });
        true
    }

    fn finish(&self, i: usize, f: impl FnOnce(&mut HostResult)) {
        let snapshot = self.with(i, |r| {
            f(r);
            r.clone()
        });
        if snapshot.status.failed() && !self.opts.keep_going {
            self.abort.store(true, Ordering::SeqCst);
        }
        self.sink.event(Event::Finished { result: &snapshot });
    }

    fn log_path(&self, host: &str) -> PathBuf {
        self.opts.log_dir.join(format!("{}.log", file_name(host)))
    }

    fn shown(&self, p: &Path) -> String {
        self.opts
            .display_base
            .as_deref()
            .and_then(|b| p.strip_prefix(b).ok())
            .unwrap_or(p)
            .display()
            .to_string()
    }

    /// Run one Nix step of a host, stderr appended to its log; stdout returned.
    fn step(
        &self,
        host: &str,
        args: &[String],
        deadline: Option<Instant>,
        truncate: bool,
    ) -> std::io::Result<(Outcome, String)> {
        let path = self.log_path(host);
        let mut log = OpenOptions::new()
            .create(true)
            .append(!truncate)
            .write(true)
            .truncate(truncate)
            .open(&path)?;
        writeln!(log, "$ {}", self.nix.display(args))?;
        let mut out = tempfile::tempfile()?;
        let outcome = run_watched(
            self.nix.command(args),
            Stdio::from(out.try_clone()?),
            Stdio::from(log),
            deadline,
            &[self.nix.interrupt_flag(), &self.abort],
        )?;
        Ok((outcome, read_back(&mut out)?))
    }

    fn log_tail(&self, host: &str) -> String {
        let text = std::fs::read_to_string(self.log_path(host)).unwrap_or_default();
        error_tail(&text, ERROR_LINES)
    }

    /// Status after a step that did not exit by itself.
    fn stopped_status(&self, outcome: Outcome) -> HostStatus {
        // Ctrl-C and fail-fast both cancel what is running.
        match outcome {
            Outcome::TimedOut => HostStatus::Timeout,
            _ => HostStatus::Cancelled,
        }
    }
}

/// A host name as a file name (attribute names may hold `/`).
fn file_name(host: &str) -> String {
    host.replace(['/', '\0'], "_")
}

fn read_back(f: &mut File) -> std::io::Result<String> {
    use std::io::{Read, Seek};
    f.rewind()?;
    let mut s = String::new();
    f.read_to_string(&mut s)?;
    Ok(s)
}
