//! The parallel engine: evaluations on a rayon pool of `jobs` workers, one
//! short-lived `nix eval` per host; each host's build starts on a separate
//! set of `jobs` build workers as soon as its evaluation ends, while other
//! hosts still evaluate. Every child runs in its own process group and is
//! stopped on a timeout, on fail-fast, or on Ctrl-C.
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
}

const ERROR_LINES: usize = 12;

struct Engine<'a> {
    nix: &'a Nix,
    flake: &'a str,
    opts: &'a RunOptions,
    sink: &'a dyn Sink,
    /// Set on the first failure without --keep-going.
    abort: AtomicBool,
    results: Vec<Mutex<HostResult>>,
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
            .map(|h| Mutex::new(HostResult::new(h, HostStatus::Pending)))
            .collect(),
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
        pool.install(|| {
            (0..hosts.len())
                .into_par_iter()
                .with_max_len(1)
                .for_each(|i| {
                    if let Some(job) = engine.evaluate(i) {
                        let _ = tx.send(job);
                    }
                });
        });
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
                base_bytes: None,
                head_bytes: Some(size),
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
        self.finish(i, |r| r.status = status);
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
        self.opts.log_dir.join(format!("{host}.log"))
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

    fn evaluate(&self, i: usize) -> Option<Evaluated> {
        if self.should_stop(i) {
            return None;
        }
        let host = self.name(i);
        let args = match self.nix.eval_toplevel_args(self.flake, &host) {
            Ok(a) => a,
            Err(e) => {
                self.finish(i, |r| {
                    r.status = HostStatus::EvalFailed;
                    r.error = Some(e.to_string());
                });
                return None;
            }
        };
        let log = self.shown(&self.log_path(&host));
        self.with(i, |r| r.log = Some(log));
        self.sink.event(Event::Evaluating { host: &host });
        let start = Instant::now();
        let deadline = self.opts.timeout.map(|t| start + t);
        let result = self.step(&host, &args, deadline, true);
        let secs = start.elapsed().as_secs_f64();
        self.with(i, |r| r.eval_seconds = Some(secs));
        let (outcome, stdout) = match result {
            Ok(x) => x,
            Err(e) => {
                self.finish(i, |r| {
                    r.status = HostStatus::EvalFailed;
                    r.error = Some(format!("cannot run nix: {e}"));
                });
                return None;
            }
        };
        match outcome {
            Outcome::Exited(s) if s.success() => {
                match StorePath::parse(&stdout, self.nix.store_dir()) {
                    Ok(drv) => {
                        self.with(i, |r| r.drv_path = Some(drv.to_string()));
                        self.sink.event(Event::Evaluated {
                            host: &host,
                            drv: drv.as_str(),
                            seconds: secs,
                        });
                        if self.opts.eval_only {
                            self.finish(i, |r| r.status = HostStatus::Evaluated);
                            return None;
                        }
                        Some(Evaluated {
                            index: i,
                            drv,
                            budget: self.opts.timeout.map(|t| t.saturating_sub(start.elapsed())),
                        })
                    }
                    Err(_) => {
                        self.finish(i, |r| {
                            r.status = HostStatus::EvalFailed;
                            r.error = Some(format!(
                                "toplevel.drvPath is not a store path: {:?}",
                                stdout.trim()
                            ));
                        });
                        None
                    }
                }
            }
            Outcome::Exited(_) => {
                let tail = self.log_tail(&host);
                self.finish(i, |r| {
                    r.status = HostStatus::EvalFailed;
                    r.error = Some(tail);
                });
                None
            }
            stopped => {
                let status = self.stopped_status(stopped);
                let t = self.opts.timeout.map_or(0, |t| t.as_secs());
                self.finish(i, |r| {
                    r.status = status;
                    if status == HostStatus::Timeout {
                        r.error = Some(format!("evaluation timed out after {t}s (--timeout)"));
                    }
                });
                None
            }
        }
    }

    fn build(&self, job: Evaluated) {
        let i = job.index;
        if self.should_stop(i) {
            return;
        }
        let host = self.name(i);
        let root = self.opts.gc_root_dir.as_ref().map(|d| d.join(&host));
        let args = self.nix.build_args(&job.drv, root.as_deref());
        self.sink.event(Event::Building { host: &host });
        let start = Instant::now();
        let deadline = job.budget.map(|b| start + b);
        let result = self.step(&host, &args, deadline, false);
        let secs = start.elapsed().as_secs_f64();
        self.with(i, |r| r.build_seconds = Some(secs));
        let (outcome, stdout) = match result {
            Ok(x) => x,
            Err(e) => {
                self.finish(i, |r| {
                    r.status = HostStatus::BuildFailed;
                    r.error = Some(format!("cannot run nix: {e}"));
                });
                return;
            }
        };
        match outcome {
            Outcome::Exited(s) if s.success() => {
                let out = self
                    .nix
                    .parse_build_json(&stdout)
                    .ok()
                    .and_then(|b| b.into_iter().next())
                    .and_then(|b| b.outputs.get("out").cloned());
                self.finish(i, |r| {
                    r.status = HostStatus::Built;
                    r.out_path = out.map(|p| p.to_string());
                });
            }
            Outcome::Exited(_) => {
                let tail = self.log_tail(&host);
                self.finish(i, |r| {
                    r.status = HostStatus::BuildFailed;
                    r.error = Some(tail);
                });
            }
            stopped => {
                let status = self.stopped_status(stopped);
                let t = self.opts.timeout.map_or(0, |t| t.as_secs());
                self.finish(i, |r| {
                    r.status = status;
                    if status == HostStatus::Timeout {
                        r.error = Some(format!("build timed out ({t}s per host, --timeout)"));
                    }
                });
            }
        }
    }
}

fn read_back(f: &mut File) -> std::io::Result<String> {
    use std::io::{Read, Seek};
    f.rewind()?;
    let mut s = String::new();
    f.read_to_string(&mut s)?;
    Ok(s)
}
