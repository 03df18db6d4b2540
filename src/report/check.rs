//! The text report of `nixos-check`: loosenings first (they decide the
//! review), the summary line, failures with their logs, then the security
//! and closure diff per host.
use std::fmt::Write;

use console::style;

use crate::verify::markdown::human_bytes;
use crate::verify::{self, CheckReport};

/// Loosenings first: they decide the review.
pub fn loosenings(r: &CheckReport) -> String {
    let mut out = String::new();
    let Some(d) = r.diff.as_ref().filter(|d| d.security_model) else {
        return out;
    };
    let _ = writeln!(
        out,
        "{} {} loosening(s) since {}; the change is security-model (security review required)",
        style("SECURITY").red().bold(),
        d.loosened.len(),
        d.base
    );
    for l in &d.loosened {
        let _ = writeln!(
            out,
            "  {}: {} ({})",
            style(&l.host).bold(),
            l.finding.message,
            l.finding.attribute
        );
    }
    out
}

/// The security and closure diff per host, base versus head.
pub fn diffs(r: &CheckReport) -> String {
    let mut out = String::new();
    let Some(d) = &r.diff else { return out };
    let _ = writeln!(out, "security (base {}):", d.base);
    for h in &r.hosts {
        let Some(s) = &h.security else { continue };
        if !s.compared() {
            let why = s
                .base_error
                .as_deref()
                .or(s.head_error.as_deref())
                .and_then(|e| e.lines().next())
                .unwrap_or("");
            let _ = writeln!(
                out,
                "  {}: not compared (base {}, head {}) {why}",
                h.name, s.base, s.head
            );
            continue;
        }
        let new = if s.base == "absent" {
            " (new host)"
        } else {
            ""
        };
        if s.changes.is_empty() {
            let _ = writeln!(out, "  {}{new}: no change", h.name);
        }
        for c in &s.changes {
            let j = match c.judgement {
                verify::security::Judgement::Loosened => style(c.judgement.as_str()).red().bold(),
                verify::security::Judgement::Tightened => style(c.judgement.as_str()).green(),
                verify::security::Judgement::Changed => style(c.judgement.as_str()).yellow(),
            };
            let _ = writeln!(
                out,
                "  {}{new}: {j} {} ({})",
                h.name, c.message, c.attribute
            );
        }
    }
    if !d.hosts_added.is_empty() {
        let _ = writeln!(
            out,
            "  hosts added since the base: {}",
            d.hosts_added.join(", ")
        );
    }
    if !d.hosts_removed.is_empty() {
        let _ = writeln!(
            out,
            "  hosts removed since the base: {}",
            d.hosts_removed.join(", ")
        );
    }
    let measured: Vec<_> = r
        .hosts
        .iter()
        .filter_map(|h| h.closure.as_ref().map(|c| (h, c)))
        .filter(|(_, c)| c.base_bytes.is_some() || c.base_error.is_some())
        .collect();
    if measured.is_empty() {
        return out;
    }
    let _ = writeln!(out, "closure:");
    for (h, c) in measured {
        if let (true, Some(hd)) = (c.added, c.head_bytes) {
            let _ = writeln!(
                out,
                "  {}: new host, {} in {} path(s)",
                h.name,
                human_bytes(hd as f64),
                c.paths_added.len()
            );
            continue;
        }
        match (c.base_bytes, c.head_bytes) {
            (Some(b), Some(hd)) => {
                let pct = c
                    .change_percent
                    .map_or(String::new(), |p| format!(", {p:+.1}%"));
                let _ = writeln!(
                    out,
                    "  {}: {} -> {} ({}{pct}), {} path(s) added, {} removed",
                    h.name,
                    human_bytes(b as f64),
                    human_bytes(hd as f64),
                    human_bytes(c.change_bytes.unwrap_or(0) as f64),
                    c.paths_added.len(),
                    c.paths_removed.len()
                );
                if let Some(p) = &c.packages {
                    for x in &p.added {
                        let _ = writeln!(out, "    + {} {}", x.name, x.head.join(", "));
                    }
                    for x in &p.removed {
                        let _ = writeln!(out, "    - {} {}", x.name, x.base.join(", "));
                    }
                    for x in &p.changed {
                        let _ = writeln!(
                            out,
                            "    ~ {} {} -> {}",
                            x.name,
                            x.base.join(", "),
                            x.head.join(", ")
                        );
                    }
                }
            }
            _ => {
                let _ = writeln!(
                    out,
                    "  {}: not compared: {}",
                    h.name,
                    c.base_error.as_deref().unwrap_or("no figures")
                );
            }
        }
    }
    out
}

/// The summary of a check: loosenings first, then hosts and failures;
/// `quiet` leaves out the per-host diffs and the report path.
pub fn summary(r: &CheckReport, quiet: bool) -> String {
    let mut out = loosenings(r);
    let s = &r.summary;
    let head = format!(
        "{} host(s): {} succeeded, {} failed, {} skipped, {} cancelled in {:.1}s ({} jobs, Nix {})",
        s.total,
        s.succeeded,
        s.failed,
        s.skipped,
        s.cancelled,
        r.wall_seconds,
        r.jobs,
        r.nix.version
    );
    if r.ok() {
        let _ = writeln!(out, "{} {head}", style("ok").green().bold());
    } else {
        let _ = writeln!(out, "{} {head}", style("FAILED").red().bold());
    }
    if r.interrupted {
        let _ = writeln!(out, "interrupted: the report is partial");
    }
    for h in r.hosts.iter().filter(|h| h.reason.is_some()) {
        let _ = writeln!(
            out,
            "{} skipped: {}",
            style(&h.name).bold(),
            h.reason.as_deref().unwrap_or("")
        );
    }
    for h in r.hosts.iter().filter(|h| h.status.failed()) {
        let _ = writeln!(out, "{} {}", style(&h.name).bold(), h.status.as_str());
        if let Some(e) = &h.error {
            for line in e.lines() {
                let _ = writeln!(out, "    {line}");
            }
        }
        if let Some(l) = &h.log {
            let _ = writeln!(out, "    log: {l}");
        }
    }
    if !quiet {
        out.push_str(&diffs(r));
    }
    for v in &r.closure_violations {
        let _ = writeln!(out, "{} {v}", style("closure").red().bold());
    }
    if let Some(p) = r.report.as_ref().filter(|_| !quiet) {
        let _ = writeln!(out, "report: {p}");
    }
    out
}
