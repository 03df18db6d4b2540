//! What the user sees while hosts run: an indicatif line per running host on
//! a terminal, otherwise one plain line per event on stderr.
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use console::style;
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::report::{HostResult, HostStatus};

pub enum Event<'a> {
    Evaluating {
        host: &'a str,
    },
    Evaluated {
        host: &'a str,
        drv: &'a str,
        seconds: f64,
    },
    Building {
        host: &'a str,
    },
    Finished {
        result: &'a HostResult,
    },
}

/// Receives events from every worker thread.
pub trait Sink: Sync {
    fn event(&self, e: Event<'_>);
}

/// Prints nothing (library callers, tests).
pub struct Silent;

impl Sink for Silent {
    fn event(&self, _: Event<'_>) {}
}

pub struct Monitor {
    bars: Option<(MultiProgress, Mutex<HashMap<String, ProgressBar>>)>,
    quiet: bool,
}

impl Monitor {
    /// `progress`: stderr is a terminal (bars); `quiet`: only failures.
    pub fn new(progress: bool, quiet: bool) -> Monitor {
        let bars = progress.then(|| {
            (
                MultiProgress::with_draw_target(ProgressDrawTarget::stderr()),
                Mutex::new(HashMap::new()),
            )
        });
        Monitor { bars, quiet }
    }

    fn line(&self, text: String) {
        match &self.bars {
            Some((mp, _)) => {
                let _ = mp.println(text);
            }
            None => eprintln!("{text}"),
        }
    }

    fn spinner(&self, host: &str, msg: &str) {
        let Some((mp, bars)) = &self.bars else {
            if !self.quiet {
                self.line(format!("[{host}] {msg}"));
            }
            return;
        };
        let Ok(mut bars) = bars.lock() else { return };
        let bar = bars.entry(host.to_string()).or_insert_with(|| {
            let b = mp.add(ProgressBar::new_spinner());
            b.set_style(
                ProgressStyle::with_template("{spinner} {prefix:.bold} {msg} {elapsed}")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            );
            b.set_prefix(host.to_string());
            b.enable_steady_tick(Duration::from_millis(120));
            b
        });
        bar.set_message(msg.to_string());
    }

    fn finish(&self, r: &HostResult) {
        if let Some((_, bars)) = &self.bars
            && let Ok(mut bars) = bars.lock()
            && let Some(b) = bars.remove(&r.name)
        {
            b.finish_and_clear();
        }
        let secs = r.eval_seconds.unwrap_or(0.0) + r.build_seconds.unwrap_or(0.0);
        let what = r
            .out_path
            .as_deref()
            .or(r.drv_path.as_deref())
            .unwrap_or("");
        let status = r.status.as_str();
        if r.status.succeeded() {
            // Without bars, an evaluation-only host was already shown on its
            // `evaluated` line: one line per event, never the same one twice.
            let shown = self.bars.is_none() && r.status == HostStatus::Evaluated;
            if !self.quiet && !shown {
                self.line(format!(
                    "[{}] {} {what} ({secs:.1}s)",
                    r.name,
                    style(status).green()
                ));
            }
        } else if r.status.failed() {
            let first = r
                .error
                .as_deref()
                .and_then(|e| e.lines().next())
                .unwrap_or("");
            self.line(format!(
                "[{}] {} {first}",
                r.name,
                style(status).red().bold()
            ));
        } else if let Some(why) = &r.reason {
            self.line(format!("[{}] {}: {why}", r.name, style(status).yellow()));
        } else if !self.quiet {
            self.line(format!("[{}] {}", r.name, style(status).yellow()));
        }
    }
}

impl Sink for Monitor {
    fn event(&self, e: Event<'_>) {
        match e {
            Event::Evaluating { host } => self.spinner(host, "evaluating"),
            Event::Evaluated { host, drv, seconds } => {
                if self.bars.is_none() && !self.quiet {
                    self.line(format!("[{host}] evaluated {drv} ({seconds:.1}s)"));
                }
            }
            Event::Building { host } => self.spinner(host, "building"),
            Event::Finished { result } => self.finish(result),
        }
    }
}

/// One JSON object per event on stdout, one line each (`--format jsonl`):
/// `evaluated` (host, drv_path, seconds) and `finished` (the host's result,
/// its `status` saying built, evaluated, eval-failed, …). The command adds
/// `compared` per host and a closing `summary`.
pub struct JsonLines;

impl JsonLines {
    /// Print one event line and flush it (a reader sees it at once).
    pub fn emit(value: &serde_json::Value) {
        use std::io::Write;
        let mut out = std::io::stdout().lock();
        if serde_json::to_writer(&mut out, value).is_ok() {
            let _ = out.write_all(b"\n");
            let _ = out.flush();
        }
    }
}

impl Sink for JsonLines {
    fn event(&self, e: Event<'_>) {
        match e {
            Event::Evaluated { host, drv, seconds } => JsonLines::emit(&serde_json::json!({
                "event": "evaluated", "host": host, "drv_path": drv, "seconds": seconds,
            })),
            Event::Finished { result } => JsonLines::emit(&serde_json::json!({
                "event": "finished", "host": result.name, "status": result.status, "result": result,
            })),
            Event::Evaluating { .. } | Event::Building { .. } => {}
        }
    }
}
