//! Evaluator processes: one per chunk of hosts (of one kind), each drvPath
//! reported on a trace line as soon as it is known and queued for its build
//! at once; with `facts`, the host's security facts follow on the next trace
//! line of the same evaluator (one evaluation per host for both).
use std::collections::VecDeque;
use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::process::Stdio;
use std::sync::atomic::Ordering;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use super::{Engine, Evaluated};
use crate::nix::process::{spawn_group, terminate_group};
use crate::nix::{StorePath, parse_traced_drv, parse_traced_facts};
use crate::verify::monitor::Event;
use crate::verify::report::HostStatus;

impl Engine<'_> {
    /// Evaluate a chunk of hosts in one evaluator process that reports each
    /// drvPath as soon as it is known; each is queued for its build at once.
    /// A failure, a timeout or a refused host name ends that host only: the
    /// rest of the chunk gets a fresh evaluator.
    pub(super) fn evaluate_chunk(&self, chunk: &[usize], queue: &mpsc::Sender<Evaluated>) {
        let mut pending: VecDeque<usize> = chunk.iter().copied().collect();
        while !pending.is_empty() {
            pending.retain(|&i| !self.should_stop(i));
            if pending.is_empty() {
                return;
            }
            let names: Vec<String> = pending.iter().map(|&i| self.name(i)).collect();
            let kind = self.opts.kind(&names[0]);
            let facts = self.opts.facts.then_some(crate::verify::security::FACTS_FN);
            let args = match self
                .nix
                .eval_toplevels_traced_args(self.flake, kind, &names, facts)
            {
                Ok(a) => a,
                Err(e) => {
                    // One unquotable name: report it and evaluate the others alone.
                    for &i in &pending {
                        let name = self.name(i);
                        if crate::nix::quote_attr(&name).is_err() {
                            self.finish(i, |r| {
                                r.status = HostStatus::EvalFailed;
                                r.error = Some(e.to_string());
                            });
                        }
                    }
                    pending.retain(|&i| crate::nix::quote_attr(&self.name(i)).is_ok());
                    continue;
                }
            };
            if let Err(e) = self.run_evaluator(&args, &mut pending, queue) {
                for i in pending.drain(..) {
                    self.finish(i, |r| {
                        r.status = HostStatus::EvalFailed;
                        r.error = Some(format!("cannot run nix: {e}"));
                    });
                }
            }
        }
    }

    /// Mark `i` as the host being evaluated now: its log starts with the command.
    pub(super) fn start_eval(&self, i: usize, command: &str) -> std::io::Result<File> {
        let host = self.name(i);
        let path = self.log_path(&host);
        let log_shown = self.shown(&path);
        self.with(i, |r| r.log = Some(log_shown));
        let mut log = File::create(&path)?;
        writeln!(log, "$ {command}")?;
        self.sink.event(Event::Evaluating { host: &host });
        Ok(log)
    }

    /// One evaluator process over `pending` (in order); returns when it has
    /// exited or was stopped, having removed every host it settled.
    pub(super) fn run_evaluator(
        &self,
        args: &[String],
        pending: &mut VecDeque<usize>,
        queue: &mpsc::Sender<Evaluated>,
    ) -> std::io::Result<()> {
        let command = self.nix.display(args);
        let mut child = spawn_group(self.nix.command(args), Stdio::null(), Stdio::piped())?;
        let (lines_tx, lines) = mpsc::channel::<String>();
        if let Some(stderr) = child.stderr.take() {
            std::thread::spawn(move || {
                // Split on bytes: one line of invalid UTF-8 must not stop the reading.
                for line in BufReader::new(stderr).split(b'\n').map_while(Result::ok) {
                    if lines_tx
                        .send(String::from_utf8_lossy(&line).into_owned())
                        .is_err()
                    {
                        return;
                    }
                }
            });
        }
        let Some(&first) = pending.front() else {
            terminate_group(&mut child);
            return Ok(());
        };
        let mut log = self.start_eval(first, &command)?;
        let mut started = Instant::now();
        // The front host's drvPath is known and its facts line is awaited.
        let mut awaiting_facts = false;
        loop {
            let mut exited = None;
            match lines.recv_timeout(Duration::from_millis(20)) {
                Ok(line) => {
                    if let Some((host, drv, system)) = parse_traced_drv(&line, self.nix.store_dir())
                    {
                        let Some(&i) = pending.front() else {
                            continue;
                        };
                        if host != self.name(i) {
                            writeln!(log, "unexpected evaluation order: {host}")?;
                        }
                        self.evaluated(i, drv, system, started, queue);
                        if self.opts.facts {
                            awaiting_facts = true;
                            continue;
                        }
                        pending.pop_front();
                        if let Some(&next) = pending.front() {
                            log = self.start_eval(next, &command)?;
                            started = Instant::now();
                        }
                    } else if let Some((host, facts)) =
                        parse_traced_facts(&line).filter(|_| awaiting_facts)
                    {
                        let Some(i) = pending.pop_front() else {
                            continue;
                        };
                        if host != self.name(i) {
                            writeln!(log, "unexpected evaluation order: {host}")?;
                        }
                        awaiting_facts = false;
                        self.with(i, |r| r.head_facts = Some(Ok(facts)));
                        if let Some(&next) = pending.front() {
                            log = self.start_eval(next, &command)?;
                            started = Instant::now();
                        }
                    } else {
                        writeln!(log, "{line}")?;
                    }
                    continue;
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    exited = Some(child.wait()?);
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {}
            }
            let stop = self.interrupted() || self.abort.load(Ordering::SeqCst);
            let timed_out = self.opts.timeout.is_some_and(|t| started.elapsed() >= t);
            if awaiting_facts && (exited.is_some() || stop || timed_out) {
                // The host evaluated (and builds); only its facts are missing.
                if exited.is_none() {
                    terminate_group(&mut child);
                }
                if let Some(i) = pending.pop_front() {
                    let why = if exited.is_some() {
                        let tail = self.log_tail(&self.name(i));
                        format!("its security facts fail to evaluate:\n{tail}")
                    } else if timed_out && !stop {
                        "its security facts ran out of time (--timeout)".to_string()
                    } else {
                        "its security facts were not evaluated (stopped)".to_string()
                    };
                    self.with(i, |r| r.head_facts = Some(Err(why)));
                }
                return Ok(());
            }
            if exited.is_none() && (stop || timed_out) {
                terminate_group(&mut child);
                let secs = started.elapsed().as_secs_f64();
                if let Some(i) = pending.pop_front() {
                    let status = if timed_out && !stop {
                        HostStatus::Timeout
                    } else {
                        HostStatus::Cancelled
                    };
                    let t = self.opts.timeout.map_or(0, |t| t.as_secs());
                    self.finish(i, |r| {
                        r.status = status;
                        r.eval_seconds = Some(secs);
                        if status == HostStatus::Timeout {
                            r.error = Some(format!("evaluation timed out after {t}s (--timeout)"));
                        }
                    });
                }
                return Ok(());
            }
            if let Some(status) = exited {
                // Whatever evaluated before the exit was reported on its line;
                // a failure belongs to the host being evaluated.
                if let Some(i) = pending.pop_front() {
                    let secs = started.elapsed().as_secs_f64();
                    let tail = self.log_tail(&self.name(i));
                    let error = if status.success() {
                        "the evaluator exited without reporting this host".to_string()
                    } else {
                        tail
                    };
                    self.finish(i, |r| {
                        r.status = HostStatus::EvalFailed;
                        r.eval_seconds = Some(secs);
                        r.error = Some(error);
                    });
                }
                return Ok(());
            }
        }
    }

    /// A host's drvPath is known: record it, then queue its build (or finish).
    pub(super) fn evaluated(
        &self,
        i: usize,
        drv: StorePath,
        system: Option<String>,
        started: Instant,
        queue: &mpsc::Sender<Evaluated>,
    ) {
        let secs = started.elapsed().as_secs_f64();
        let host = self.name(i);
        self.with(i, |r| {
            r.drv_path = Some(drv.to_string());
            r.eval_seconds = Some(secs);
            r.system = system.clone();
        });
        self.sink.event(Event::Evaluated {
            host: &host,
            drv: drv.as_str(),
            seconds: secs,
        });
        if self.opts.eval_only {
            self.finish(i, |r| r.status = HostStatus::Evaluated);
            return;
        }
        if let Some(why) = system.as_deref().and_then(|s| self.cannot_build(s)) {
            self.finish(i, |r| {
                r.status = HostStatus::Skipped;
                r.reason = Some(why);
            });
            return;
        }
        let budget = self
            .opts
            .timeout
            .map(|t| t.saturating_sub(started.elapsed()));
        let _ = queue.send(Evaluated {
            index: i,
            drv,
            budget,
        });
    }
}
