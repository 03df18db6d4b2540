//! A `nixos-check` report as Markdown for a pull-request comment: the
//! loosenings first, then per host its build status, security diff and
//! closure diff, and the failures with their errors.
use std::fmt::Write;

use super::report::{CheckReport, HostResult};
use super::security::Judgement;

/// `1.5 MiB` style sizes (binary units, one decimal above bytes).
pub fn human_bytes(b: f64) -> String {
    let units = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = b.abs();
    let mut u = 0;
    while v >= 1024.0 && u + 1 < units.len() {
        v /= 1024.0;
        u += 1;
    }
    let sign = if b < 0.0 { "-" } else { "" };
    if u == 0 {
        format!("{sign}{v:.0} {}", units[u])
    } else {
        format!("{sign}{v:.1} {}", units[u])
    }
}

/// A host's security findings as a list, then its package changes as a
/// table, each followed by a blank line when there is one.
fn findings_and_packages(
    o: &mut String,
    sec: &[super::security::Finding],
    packages: Option<&super::diff::PackageDiff>,
) {
    for c in sec {
        let _ = writeln!(
            o,
            "- **{}** {} (`{}`)",
            c.judgement.as_str(),
            cell(&c.message),
            c.attribute
        );
    }
    if !sec.is_empty() {
        o.push('\n');
    }
    if let Some(p) = packages {
        let _ = writeln!(o, "| package | base | head |\n|---|---|---|");
        for x in p.added.iter().chain(&p.removed).chain(&p.changed) {
            let _ = writeln!(
                o,
                "| {} | {} | {} |",
                cell(&x.name),
                x.base.join(", "),
                x.head.join(", ")
            );
        }
        o.push('\n');
    }
}

fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

fn status_mark(h: &HostResult) -> &'static str {
    if h.status.succeeded() {
        "✅"
    } else if h.status.failed() {
        "❌"
    } else {
        "⏭️"
    }
}

fn security_cell(h: &HostResult) -> String {
    let Some(s) = &h.security else {
        return "–".into();
    };
    if !s.compared() {
        return format!("not compared (base {}, head {})", s.base, s.head);
    }
    let new = if s.base == "absent" { "new host: " } else { "" };
    if s.changes.is_empty() {
        return format!("{new}no change");
    }
    let count = |j: Judgement| s.changes.iter().filter(|c| c.judgement == j).count();
    let mut parts = Vec::new();
    for j in [
        Judgement::Loosened,
        Judgement::Changed,
        Judgement::Tightened,
    ] {
        let n = count(j);
        if n > 0 {
            parts.push(format!("{n} {}", j.as_str()));
        }
    }
    if count(Judgement::Loosened) > 0 {
        format!("⚠️ {new}{}", parts.join(", "))
    } else {
        format!("{new}{}", parts.join(", "))
    }
}

fn closure_cells(h: &HostResult) -> (String, String) {
    let Some(c) = &h.closure else {
        return ("–".into(), "–".into());
    };
    if let (true, Some(hd)) = (c.added, c.head_bytes) {
        return (
            format!("new: {}", human_bytes(hd as f64)),
            format!(
                "+{} (new host), +{} paths",
                human_bytes(hd as f64),
                c.paths_added.len()
            ),
        );
    }
    match (c.base_bytes, c.head_bytes) {
        (Some(b), Some(hd)) => (
            format!("{} → {}", human_bytes(b as f64), human_bytes(hd as f64)),
            format!(
                "{}{} ({:+.1}%), +{}/−{} paths",
                if c.change_bytes.unwrap_or(0) >= 0 {
                    "+"
                } else {
                    ""
                },
                human_bytes(c.change_bytes.unwrap_or(0) as f64),
                c.change_percent.unwrap_or(0.0),
                c.paths_added.len(),
                c.paths_removed.len()
            ),
        ),
        (None, Some(hd)) => (human_bytes(hd as f64), "–".into()),
        _ => ("–".into(), "–".into()),
    }
}

/// The whole report as Markdown.
pub fn render(r: &CheckReport) -> String {
    let mut o = String::new();
    let s = &r.summary;
    let verdict = if r.ok() { "✅ passed" } else { "❌ failed" };
    let _ = writeln!(o, "## nixos-check {verdict}\n");
    let _ = writeln!(
        o,
        "{} host(s): {} succeeded, {} failed, {} skipped, {} cancelled (Nix {}{}).\n",
        s.total,
        s.succeeded,
        s.failed,
        s.skipped,
        s.cancelled,
        r.nix.version,
        r.diff
            .as_ref()
            .map_or(String::new(), |d| format!(", compared with `{}`", d.base))
    );
    if let Some(d) = r.diff.as_ref().filter(|d| d.security_model) {
        let _ = writeln!(
            o,
            "### ⚠️ Security loosened: {} finding(s)\n\nThis change is **security-model**: it needs a security review.\n",
            d.loosened.len()
        );
        let _ = writeln!(o, "| host | what | option |\n|---|---|---|");
        for l in &d.loosened {
            let _ = writeln!(
                o,
                "| {} | {} | `{}` |",
                cell(&l.host),
                cell(&l.finding.message),
                l.finding.attribute
            );
        }
        o.push('\n');
    }
    for v in &r.closure_violations {
        let _ = writeln!(o, "> ❌ {}\n", cell(v));
    }
    let _ = writeln!(o, "### Hosts\n");
    let _ = writeln!(
        o,
        "| host | status | security | closure | change |\n|---|---|---|---|---|"
    );
    for h in &r.hosts {
        let (size, change) = closure_cells(h);
        let _ = writeln!(
            o,
            "| {} | {} {} | {} | {} | {} |",
            cell(&h.name),
            status_mark(h),
            h.status.as_str(),
            cell(&security_cell(h)),
            size,
            change
        );
    }
    o.push('\n');
    if let Some(d) = &r.diff {
        if !d.hosts_added.is_empty() {
            let _ = writeln!(
                o,
                "Hosts added since the base: {}\n",
                d.hosts_added.join(", ")
            );
        }
        if !d.hosts_removed.is_empty() {
            let _ = writeln!(
                o,
                "Hosts removed since the base: {}\n",
                d.hosts_removed.join(", ")
            );
        }
    }
    for h in &r.hosts {
        let sec = h
            .security
            .as_ref()
            .map(|s| s.changes.as_slice())
            .unwrap_or(&[]);
        let pk = h.closure.as_ref().and_then(|c| c.packages.as_ref());
        let has_pk = pk
            .is_some_and(|p| !p.added.is_empty() || !p.removed.is_empty() || !p.changed.is_empty());
        if sec.is_empty() && !has_pk && !h.status.failed() && h.reason.is_none() {
            continue;
        }
        let _ = writeln!(o, "<details><summary>{}</summary>\n", h.name);
        if let Some(why) = &h.reason {
            let _ = writeln!(o, "Skipped: {}\n", cell(why));
        }
        findings_and_packages(&mut o, sec, pk.filter(|_| has_pk));
        if h.status.failed() {
            let _ = writeln!(
                o,
                "```\n{}\n```\n",
                h.error.as_deref().unwrap_or(h.status.as_str())
            );
        }
        let _ = writeln!(o, "</details>\n");
    }
    o
}

/// `nixos-check --plan` as Markdown: loosenings first, then a row per host
/// (kind, why chosen, what a build would build and fetch, the derivation and
/// security diff), and the package changes per host.
pub fn render_plan(
    plans: &[super::diff::HostPlan],
    summary: Option<&super::diff::DiffSummary>,
) -> String {
    let mut o = String::new();
    let failed = plans.iter().filter(|p| p.error.is_some()).count();
    let _ = writeln!(
        o,
        "## nixos-check plan{}\n",
        if failed == 0 { "" } else { " (incomplete)" }
    );
    let _ = writeln!(
        o,
        "{} host(s){}; nothing was built.\n",
        plans.len(),
        summary.map_or(String::new(), |s| format!(", compared with `{}`", s.base))
    );
    if let Some(d) = summary.filter(|d| d.security_model) {
        let _ = writeln!(
            o,
            "### ⚠️ Security loosened: {} finding(s)\n\nThis change is **security-model**: it needs a security review.\n",
            d.loosened.len()
        );
        let _ = writeln!(o, "| host | what | option |\n|---|---|---|");
        for l in &d.loosened {
            let _ = writeln!(
                o,
                "| {} | {} | `{}` |",
                cell(&l.host),
                cell(&l.finding.message),
                l.finding.attribute
            );
        }
        o.push('\n');
    }
    let _ = writeln!(
        o,
        "| host | kind | why | to build | to fetch | toplevel | security |\n|---|---|---|---|---|---|---|"
    );
    for p in plans {
        if let Some(e) = &p.error {
            let first = e.lines().next().unwrap_or("");
            let _ = writeln!(
                o,
                "| {} | {} | {} | ❌ {} | | | |",
                cell(&p.name),
                p.kind.as_str(),
                cell(p.why.as_deref().unwrap_or("")),
                cell(first)
            );
            continue;
        }
        let toplevel = match p.changed {
            Some(true) if p.base_drv.is_none() => "new".to_string(),
            Some(true) => format!(
                "changed (+{}/−{} derivations)",
                p.derivations_added.len(),
                p.derivations_removed.len()
            ),
            Some(false) => "unchanged".into(),
            None => "–".into(),
        };
        let security = p.security.as_ref().map_or("–".to_string(), |s| {
            let loose = s
                .changes
                .iter()
                .filter(|c| c.judgement == Judgement::Loosened)
                .count();
            match (s.compared(), s.changes.len()) {
                (false, _) => format!("not compared (base {}, head {})", s.base, s.head),
                (true, 0) => "no change".into(),
                (true, n) if loose > 0 => format!("⚠️ {n} change(s), {loose} loosened"),
                (true, n) => format!("{n} change(s)"),
            }
        });
        let _ = writeln!(
            o,
            "| {} | {} | {} | {} | {}{} | {} | {} |",
            cell(&p.name),
            p.kind.as_str(),
            cell(p.why.as_deref().unwrap_or("")),
            p.will_build.len(),
            p.will_fetch.len(),
            p.fetch_size
                .as_deref()
                .map_or(String::new(), |f| format!(" ({f})")),
            toplevel,
            security
        );
    }
    o.push('\n');
    for p in plans {
        let sec = p
            .security
            .as_ref()
            .map(|s| s.changes.as_slice())
            .unwrap_or(&[]);
        let pk = p
            .packages
            .as_ref()
            .filter(|k| !k.added.is_empty() || !k.removed.is_empty() || !k.changed.is_empty());
        if sec.is_empty() && pk.is_none() && p.reason.is_none() {
            continue;
        }
        let _ = writeln!(o, "<details><summary>{}</summary>\n", p.name);
        if let Some(why) = &p.reason {
            let _ = writeln!(o, "Skipped by a check: {}\n", cell(why));
        }
        findings_and_packages(&mut o, sec, pk);
        let _ = writeln!(o, "</details>\n");
    }
    o
}
