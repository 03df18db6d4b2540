//! Builds: one `nix build` per evaluated host, its out-link a GC root in the
//! verification folder, within what is left of the host's timeout.
use std::time::Instant;

use super::{Engine, Evaluated, file_name};
use crate::nix::process::Outcome;
use crate::verify::monitor::Event;
use crate::verify::report::HostStatus;

impl Engine<'_> {
    pub(super) fn build(&self, job: Evaluated) {
        let i = job.index;
        if self.should_stop(i) {
            return;
        }
        let host = self.name(i);
        let root = self
            .opts
            .gc_root_dir
            .as_ref()
            .map(|d| d.join(file_name(&host)));
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
