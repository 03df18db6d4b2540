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
        let (built, fetched) =
            built_and_fetched(&std::fs::read_to_string(self.log_path(&host)).unwrap_or_default());
        self.with(i, |r| {
            r.build_seconds = Some(secs);
            r.derivations_built = built;
            r.paths_fetched = fetched;
        });
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

/// The derivations a build ran (`building '<drv>'...`) and the paths it
/// downloaded (`copying path '<path>' from '<substituter>'...`), from the
/// last `$ nix build` step of a host's log.
fn built_and_fetched(log: &str) -> (Vec<String>, Vec<String>) {
    let step = log.rfind("\n$ nix build").map_or(log, |i| &log[i..]);
    let quoted = |rest: &str| rest.split('\'').next().map(str::to_string);
    let (mut built, mut fetched) = (Vec::new(), Vec::new());
    for line in step.lines() {
        if let Some(d) = line.strip_prefix("building '").and_then(quoted) {
            if d.ends_with(".drv") && !built.contains(&d) {
                built.push(d);
            }
        } else if let Some(p) = line.strip_prefix("copying path '").and_then(quoted)
            && !fetched.contains(&p)
        {
            fetched.push(p);
        }
    }
    (built, fetched)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_build_step_names_what_it_built_and_fetched() {
        let log = "$ nix eval …\nbuilding 'not-this.drv'...\n$ nix build --json -L /nix/store/t.drv\nbuilding '/nix/store/a-x.drv'...\ncopying path '/nix/store/b-y' from 'https://cache.nixos.org'...\nx> building '/nix/store/zz.drv'\nbuilding '/nix/store/t.drv'...\n";
        let (b, f) = super::built_and_fetched(log);
        assert_eq!(b, ["/nix/store/a-x.drv", "/nix/store/t.drv"]);
        assert_eq!(f, ["/nix/store/b-y"]);
    }
}
