//! Renderers for `impact`: text, markdown (a pull-request comment), github-matrix.
use serde_json::json;

use crate::impact::ImpactReport;

/// How `impact` renders. Variants carry no doc comments on purpose: clap
/// would show them in `--help`, whose text stays a plain list of values.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    #[default]
    Text,
    Json,
    Markdown,
    GithubMatrix,
}

impl Format {
    /// Formats whose stdout is one JSON document (also on failure).
    pub fn is_json(self) -> bool {
        matches!(self, Format::Json | Format::GithubMatrix)
    }
}

pub fn github_matrix(r: &ImpactReport) -> String {
    let include: Vec<_> = r
        .affected_hosts
        .iter()
        .map(|h| json!({ "host": h }))
        .collect();
    json!({ "include": include }).to_string()
}

/// The human report. `quiet`: only the answer, the affected hosts one per
/// line; `verbose`: every reason and the informational diagnostics.
pub fn text(r: &ImpactReport, verbose: bool, quiet: bool) -> String {
    let mut out = String::new();
    if quiet {
        for h in &r.affected_hosts {
            out.push_str(&format!("{h}\n"));
        }
        return out;
    }
    if let Some(c) = &r.change {
        out.push_str(&change_text(c));
    }
    let n = r.changed_files.len();
    let what = if r.head == "declared" {
        "declared path"
    } else {
        "changed file"
    };
    out.push_str(&format!(
        "{} {what}{}; {} of {} hosts affected\n",
        n,
        if n == 1 { "" } else { "s" },
        r.affected_hosts.len(),
        r.hosts.len()
    ));
    for h in &r.hosts {
        let mark = match h.change {
            Some(crate::impact::HostChange::Added) => console::style("added").red().bold(),
            Some(crate::impact::HostChange::Removed) => console::style("removed").yellow(),
            None if h.affected => console::style("affected").red().bold(),
            None => console::style("unaffected").green(),
        };
        out.push_str(&format!("  {} {}\n", console::style(&h.name).bold(), mark));
        if let Some(p) = &h.precise {
            out.push_str(&format!("      precise: {}\n", p.explanation));
        }
        let shown = if verbose {
            h.reasons.len()
        } else {
            h.reasons.len().min(3)
        };
        for reason in h.reasons.iter().take(shown) {
            let exact = if reason.exact { "" } else { " (approximate)" };
            out.push_str(&format!(
                "      {}{}: {}\n",
                reason.file,
                exact,
                reason.via.join(" -> ")
            ));
            if let Some(d) = &reason.detail {
                out.push_str(&format!("        {d}\n"));
            }
        }
        if shown < h.reasons.len() {
            out.push_str(&format!("      … {} more (-v)\n", h.reasons.len() - shown));
        }
    }
    if !r.affected_modules.is_empty() {
        out.push_str(&format!("modules: {}\n", r.affected_modules.join(", ")));
    }
    if !r.categories.is_empty() {
        out.push_str(&format!("categories: {}\n", r.categories.join(", ")));
        out.push_str(&findings_text(&r.category_findings, verbose));
    }
    out.push_str(&super::hosts::diagnostics_text(&r.diagnostics, verbose));
    out
}

/// Where a finding is: `file:line`, `(base)` when only the base has it.
fn place(f: &crate::impact::category::Finding) -> String {
    let mut s = match f.line {
        Some(l) => format!("{}:{l}", f.file),
        None => f.file.clone(),
    };
    if f.side == "base" {
        s.push_str(" (base)");
    }
    s
}

/// What put the change in each category, three per category unless `verbose`.
fn findings_text(findings: &[crate::impact::category::Finding], verbose: bool) -> String {
    let mut out = String::new();
    let mut i = 0;
    while i < findings.len() {
        let cat = findings[i].category;
        let n = findings[i..]
            .iter()
            .take_while(|f| f.category == cat)
            .count();
        let shown = if verbose { n } else { n.min(3) };
        for f in &findings[i..i + shown] {
            out.push_str(&format!("  {cat}: {}: {}\n", place(f), f.detail));
        }
        if shown < n {
            out.push_str(&format!("  {cat}: … {} more (-v)\n", n - shown));
        }
        i += n;
    }
    out
}

pub fn markdown(r: &ImpactReport) -> String {
    let mut out = String::from("### openspec impact\n\n");
    out.push_str(&format!(
        "**{}** of {} hosts affected by {} changed file{}",
        r.affected_hosts.len(),
        r.hosts.len(),
        r.changed_files.len(),
        if r.changed_files.len() == 1 { "" } else { "s" }
    ));
    if let Some(b) = &r.base {
        out.push_str(&format!(" (base `{}`)", &b[..b.len().min(12)]));
    }
    out.push_str(".\n\n");
    if let Some(c) = &r.change {
        let list = |v: &[String]| {
            if v.is_empty() {
                "none".to_string()
            } else {
                v.iter()
                    .map(|x| format!("`{x}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        };
        out.push_str(&format!(
            "Change `{}`: declared hosts {}; computed hosts {}.\n",
            c.id,
            list(&c.declared.hosts),
            c.computed
                .as_ref()
                .map_or("none (no base revision)".to_string(), |x| list(&x.hosts))
        ));
        if !c.touched_not_declared.is_empty() {
            out.push_str(&format!(
                "Touched but not declared: {}.\n",
                list(&c.touched_not_declared)
            ));
        }
        if !c.declared_not_touched.is_empty() {
            out.push_str(&format!(
                "Declared but not touched: {}.\n",
                list(&c.declared_not_touched)
            ));
        }
        out.push('\n');
    }
    out.push_str("| host | affected | why |\n|---|---|---|\n");
    for h in &r.hosts {
        let why = match h.reasons.first() {
            Some(reason) => {
                let more = if h.reasons.len() > 1 {
                    format!(" (+{} more)", h.reasons.len() - 1)
                } else {
                    String::new()
                };
                let approx = if reason.exact { "" } else { " _(approximate)_" };
                format!(
                    "`{}`{}{} via {}",
                    reason.file,
                    approx,
                    more,
                    reason
                        .via
                        .iter()
                        .map(|v| format!("`{v}`"))
                        .collect::<Vec<_>>()
                        .join(" → ")
                )
            }
            None => "—".into(),
        };
        let mark = match h.change {
            Some(crate::impact::HostChange::Added) => "✅ added",
            Some(crate::impact::HostChange::Removed) => "removed",
            None if h.affected => "✅ yes",
            None => "no",
        };
        let precise = h
            .precise
            .as_ref()
            .map(|p| format!(" ({})", p.explanation))
            .unwrap_or_default();
        out.push_str(&format!(
            "| `{}` | {}{} | {} |\n",
            h.name,
            mark,
            precise,
            why.replace('|', "\\|")
        ));
    }
    if !r.affected_modules.is_empty() {
        out.push_str(&format!(
            "\n**Modules:** {}\n",
            r.affected_modules
                .iter()
                .map(|m| format!("`{m}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    if !r.categories.is_empty() {
        out.push_str(&format!("\n**Categories:** {}\n", r.categories.join(", ")));
        out.push_str("\n| category | where | what |\n|---|---|---|\n");
        for f in &r.category_findings {
            out.push_str(&format!(
                "| {} | `{}` | {} |\n",
                f.category,
                place(f),
                f.detail.replace('|', "\\|")
            ));
        }
    }
    let warnings: Vec<_> = r
        .diagnostics
        .iter()
        .filter(|d| d.level != crate::flake::Level::Info)
        .collect();
    if !warnings.is_empty() {
        out.push_str("\n<details><summary>Diagnostics</summary>\n\n");
        for d in warnings {
            out.push_str(&format!(
                "- **{}** `{}:{}` {}\n",
                d.kind, d.file, d.line, d.message
            ));
        }
        out.push_str("\n</details>\n");
    }
    out
}

/// The `--verify` verdict under the text report: what Nix confirmed, and why
/// each changed host changed when `--why` asked.
pub fn verify_text(v: &crate::verify::VerifyReport) -> String {
    let list = |l: &[String]| {
        if l.is_empty() {
            "none".to_string()
        } else {
            l.join(", ")
        }
    };
    let mut out = format!(
        "verified with Nix {}: confirmed {}; false positives {}; missed {}\n",
        v.nix.version,
        list(&v.confirmed),
        list(&v.false_positives),
        list(&v.missed)
    );
    for h in &v.hosts {
        if let Some(why) = &h.why {
            out.push_str(&format!("why {} changed:\n{why}\n", h.name));
        }
    }
    out
}

/// The declared and computed scope of a change, for `impact <change-id>`.
fn change_text(c: &crate::impact::change::ChangeImpact) -> String {
    use crate::impact::change::PathStatus;
    let list = |v: &[String]| {
        if v.is_empty() {
            "none".to_string()
        } else {
            v.join(", ")
        }
    };
    let mut out = format!("change {}\n", console::style(&c.id).bold());
    out.push_str(&format!(
        "  declared: {} path{}; hosts {}{}\n",
        c.declared.paths.len(),
        if c.declared.paths.len() == 1 { "" } else { "s" },
        list(&c.declared.hosts),
        if c.declared.new_hosts.is_empty() {
            String::new()
        } else {
            format!("; new hosts {}", c.declared.new_hosts.join(", "))
        }
    ));
    for p in &c.declared.paths {
        let status = match p.status {
            PathStatus::File => "file".to_string(),
            PathStatus::Directory => "directory".to_string(),
            PathStatus::New => console::style("new").cyan().to_string(),
            PathStatus::NoLongerExists => console::style("no longer exists").yellow().to_string(),
        };
        out.push_str(&format!(
            "    {} ({status}, {})\n",
            p.declared.path, p.declared.named_at
        ));
    }
    match &c.computed {
        Some(comp) => out.push_str(&format!(
            "  computed from {}: {} changed file{}; hosts {}\n",
            &comp.base[..comp.base.len().min(12)],
            comp.files.len(),
            if comp.files.len() == 1 { "" } else { "s" },
            list(&comp.hosts)
        )),
        None => out.push_str("  computed: none (no base revision)\n"),
    }
    for (what, v) in [
        ("touched but not declared", &c.touched_not_declared),
        ("declared but not touched", &c.declared_not_touched),
        ("hosts affected but not declared", &c.hosts_not_declared),
        ("hosts declared but not affected", &c.hosts_not_touched),
    ] {
        if !v.is_empty() {
            out.push_str(&format!("  {what}: {}\n", v.join(", ")));
        }
    }
    out
}

/// `impact --changes` for people: a line per change, then the overlaps.
pub fn changes_text(r: &crate::impact::changes::ChangesReport, quiet: bool) -> String {
    let list = |v: &[String]| {
        if v.is_empty() {
            "none".to_string()
        } else {
            v.join(", ")
        }
    };
    let mut out = String::new();
    if !quiet {
        out.push_str(&format!(
            "{} active change{}\n",
            r.changes.len(),
            if r.changes.len() == 1 { "" } else { "s" }
        ));
    }
    for c in &r.changes {
        let source = match (&c.impact.computed, c.impact.declared.paths.is_empty()) {
            (Some(_), _) => "declared and computed",
            (None, false) => "declared",
            (None, true) => "nothing declared, no base",
        };
        out.push_str(&format!(
            "  {}: hosts {} ({source})\n",
            console::style(&c.id).bold(),
            list(&c.hosts)
        ));
    }
    if quiet {
        return out;
    }
    if r.overlaps.is_empty() {
        out.push_str("no overlapping changes\n");
    } else {
        out.push_str("overlaps:\n");
        for o in &r.overlaps {
            let mut what = vec![];
            if !o.files.is_empty() {
                what.push(format!("files {}", o.files.join(", ")));
            }
            if !o.requirements.is_empty() {
                what.push(format!("requirements {}", o.requirements.join(", ")));
            }
            if !o.hosts.is_empty() {
                what.push(format!("hosts {}", o.hosts.join(", ")));
            }
            out.push_str(&format!("  {} and {}: {}\n", o.a, o.b, what.join("; ")));
        }
    }
    out
}

/// `impact --changes --format markdown`: a table per change and overlap.
pub fn changes_markdown(r: &crate::impact::changes::ChangesReport) -> String {
    let code = |v: &[String]| {
        if v.is_empty() {
            "—".to_string()
        } else {
            v.iter()
                .map(|x| format!("`{x}`"))
                .collect::<Vec<_>>()
                .join(", ")
        }
    };
    let mut out = String::from(
        "### openspec impact of every change\n\n| change | hosts | modules |\n|---|---|---|\n",
    );
    for c in &r.changes {
        out.push_str(&format!(
            "| `{}` | {} | {} |\n",
            c.id,
            code(&c.hosts),
            code(&c.modules)
        ));
    }
    if !r.overlaps.is_empty() {
        out.push_str("\n| overlap | files | requirements | hosts |\n|---|---|---|---|\n");
        for o in &r.overlaps {
            out.push_str(&format!(
                "| `{}` + `{}` | {} | {} | {} |\n",
                o.a,
                o.b,
                code(&o.files),
                code(&o.requirements),
                code(&o.hosts)
            ));
        }
    }
    out
}
