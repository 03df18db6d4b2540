//! Base versus head per host: the security facts of both sides (one
//! evaluation per host and side: the head's facts come from the evaluator
//! that reported the head drvPath, the base's from one call per chunk that
//! also returns the base drvPaths), the closure of both sides (the base
//! built when it is not in the store yet), the store paths and packages
//! added and removed. A host new at the head is judged against its absence
//! and its whole closure is new.
use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;

use serde::Serialize;
use serde_json::Value;

use super::report::{Closure, HostResult, HostStatus};
use super::security::{self, Facts, Finding, Judgement, SecurityDiff};
use crate::nix::{
    HostKind, HostList, Nix, NixError, StorePath, error_tail, parse_path_info, quote_attr,
};

/// What to compare the checked hosts against.
#[derive(Debug, Clone)]
pub struct DiffRequest {
    /// The base commit (full hash).
    pub base_rev: String,
    /// The flake reference of the base side, e.g. `git+file:///repo?rev=<commit>`
    /// (Nix reads the commit from git: the working tree is never touched).
    pub base_flake: String,
    /// Measure closures (builds the base toplevels that are not in the store).
    pub closure: bool,
    /// Evaluators and base builds at once.
    pub jobs: usize,
}

/// The flake reference of commit `rev` of the git repository at `top`, the
/// flake in its subdirectory `rel` (empty: at the top):
/// `git+file:///repo?rev=<rev>&dir=<rel>`. Paths are percent-encoded (every
/// byte but ASCII letters, digits, `-._~` and `/`), so a directory holding
/// spaces, `#`, `?`, `&` or `%` stays one path for Nix. Nix 2.8 does not
/// recognise such an encoded path as a local checkout and fetches it like a
/// remote, from its default branch only; `git_ref` (a ref whose history
/// holds `rev`, see `git::ref_containing`) is then added as `ref=`.
pub fn git_flake_url(
    top: &std::path::Path,
    rel: &std::path::Path,
    rev: &str,
    git_ref: Option<&str>,
) -> String {
    use std::os::unix::ffi::OsStrExt;
    let enc = |p: &std::path::Path| {
        let mut out = String::new();
        for &b in p.as_os_str().as_bytes() {
            if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
                out.push(b as char);
            } else {
                out.push_str(&format!("%{b:02X}"));
            }
        }
        out
    };
    let (t, r) = (enc(top), enc(rel));
    let mut url = format!("git+file://{t}?rev={rev}");
    if !rel.as_os_str().is_empty() {
        url.push_str(&format!("&dir={r}"));
    }
    if let Some(g) = git_ref.filter(|_| t != top.to_string_lossy() || r != rel.to_string_lossy()) {
        url.push_str(&format!("&ref={}", enc(std::path::Path::new(g))));
    }
    url
}

/// The run-wide part of the comparison.
#[derive(Debug, Clone, Default, Serialize)]
pub struct DiffSummary {
    pub base: String,
    pub base_flake: String,
    /// Seconds of the base evaluator calls, and of head evaluator calls made
    /// for facts the drvPath evaluation did not report (0 when it reported all).
    pub base_eval_seconds: f64,
    pub head_eval_seconds: f64,
    /// Checked hosts that do not exist at the base revision.
    pub hosts_added: Vec<String>,
    /// Hosts of the base revision that the head no longer has.
    pub hosts_removed: Vec<String>,
    /// Every loosening, host by host: the change is security-model.
    pub loosened: Vec<HostFinding>,
    pub security_model: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct HostFinding {
    pub host: String,
    #[serde(flatten)]
    pub finding: Finding,
}

/// A package (store path name without its version) and its versions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PackageChange {
    pub name: String,
    pub base: Vec<String>,
    pub head: Vec<String>,
}

/// Packages of two closures, by name and version, as nvd shows them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PackageDiff {
    pub added: Vec<PackageChange>,
    pub removed: Vec<PackageChange>,
    pub changed: Vec<PackageChange>,
}

/// `(name, version)` of a store path's name: the version starts at the
/// first `-` followed by a digit (`openssh-9.6p1` -> `openssh`, `9.6p1`).
pub fn split_name(name: &str) -> (String, String) {
    let bytes = name.as_bytes();
    for i in 0..bytes.len().saturating_sub(1) {
        if bytes[i] == b'-' && bytes[i + 1].is_ascii_digit() {
            return (name[..i].to_string(), name[i + 1..].to_string());
        }
    }
    (name.to_string(), String::new())
}

/// The package difference of two closures (store path names).
pub fn package_diff<'a>(
    base: impl IntoIterator<Item = &'a str>,
    head: impl IntoIterator<Item = &'a str>,
) -> PackageDiff {
    let group = |it: &mut dyn Iterator<Item = &'a str>| {
        let mut m: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for n in it {
            let (name, version) = split_name(n);
            m.entry(name).or_default().insert(version);
        }
        m
    };
    let b = group(&mut base.into_iter());
    let h = group(&mut head.into_iter());
    let mut d = PackageDiff::default();
    let list = |s: Option<&BTreeSet<String>>| s.into_iter().flatten().cloned().collect();
    for name in b.keys().chain(h.keys()).collect::<BTreeSet<_>>() {
        let c = PackageChange {
            name: name.clone(),
            base: list(b.get(name)),
            head: list(h.get(name)),
        };
        match (b.get(name), h.get(name)) {
            (None, Some(_)) => d.added.push(c),
            (Some(_), None) => d.removed.push(c),
            (Some(x), Some(y)) if x != y => d.changed.push(c),
            _ => {}
        }
    }
    d
}

/// One side's facts (and base drvPath) of one host.
#[derive(Debug, Clone)]
enum Side {
    /// The host is not in that revision's flake.
    Absent,
    Error(String),
    Present {
        facts: Box<Facts>,
        drv: Option<String>,
        /// The toplevel's platform (with the drvPath).
        system: Option<String>,
    },
}

/// Evaluate facts (and drvPaths) of `hosts` in `flake`, one call per chunk
/// of hosts of one kind; a host whose evaluation breaks the call gets a call
/// of its own. A host the listing does not name is absent.
fn evaluate(
    nix: &Nix,
    flake: &str,
    listing: &Result<HostList, NixError>,
    hosts: &[String],
    with_drv: bool,
    jobs: usize,
) -> Vec<Side> {
    if hosts.is_empty() {
        return Vec::new();
    }
    let listed = match listing {
        Ok(l) => l,
        Err(e) => return hosts.iter().map(|_| Side::Error(e.to_string())).collect(),
    };
    let kind_of = |h: &String| listed.iter().find(|(n, _)| n == h).map(|(_, k)| *k);
    let mut parts: Vec<(HostKind, Vec<String>)> = Vec::new();
    for kind in HostKind::ALL {
        let present: Vec<String> = hosts
            .iter()
            .filter(|h| kind_of(h) == Some(kind) && quote_attr(h).is_ok())
            .cloned()
            .collect();
        // One evaluator per chunk, `jobs` chunks at once: still one
        // evaluation per host and side.
        let size = present.len().div_ceil(jobs.max(1)).max(1);
        parts.extend(present.chunks(size).map(|c| (kind, c.to_vec())));
    }
    let chunk = |kind: HostKind, part: &[String]| match eval_facts(nix, flake, kind, part, with_drv)
    {
        Ok(m) => m,
        Err(_) => part
            .iter()
            .map(|h| {
                let side = match eval_facts(nix, flake, kind, std::slice::from_ref(h), with_drv) {
                    Ok(mut m) => m.remove(h).unwrap_or(Side::Absent),
                    Err(e) => Side::Error(e.to_string()),
                };
                (h.clone(), side)
            })
            .collect(),
    };
    let mut found: BTreeMap<String, Side> = std::thread::scope(|s| {
        let handles: Vec<_> = parts
            .iter()
            .map(|(kind, part)| s.spawn(move || chunk(*kind, part)))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_default())
            .collect()
    });
    hosts
        .iter()
        .map(|h| found.remove(h).unwrap_or(Side::Absent))
        .collect()
}

fn eval_facts(
    nix: &Nix,
    flake: &str,
    kind: HostKind,
    hosts: &[String],
    with_drv: bool,
) -> Result<BTreeMap<String, Side>, NixError> {
    let quoted: Vec<String> = hosts
        .iter()
        .map(|h| quote_attr(h))
        .collect::<Result<_, _>>()?;
    let args = nix.eval_apply_args(
        &format!("{flake}#{}", kind.output()),
        &security::facts_apply(kind, &quoted, with_drv),
    );
    let out = nix.run(&args)?;
    let doc: BTreeMap<String, Value> =
        serde_json::from_str(out.trim()).map_err(|source| NixError::Json {
            what: "nix eval --json (security facts)",
            source,
        })?;
    let mut m = BTreeMap::new();
    for (host, v) in doc {
        let drv = v.get("drv").and_then(Value::as_str).map(str::to_string);
        let system = v.get("system").and_then(Value::as_str).map(str::to_string);
        let side = match side_of(v.get("facts")) {
            Side::Present { facts, .. } if !with_drv || drv.is_some() => {
                Side::Present { facts, drv, system }
            }
            Side::Present { .. } => {
                Side::Error("its toplevel fails to evaluate (a throw or an assertion)".to_string())
            }
            other => other,
        };
        m.insert(host, side);
    }
    Ok(m)
}

/// One side from the facts JSON of a host (`null`: they threw).
fn side_of(facts: Option<&Value>) -> Side {
    match facts {
        Some(Value::Null) | None => {
            Side::Error("its configuration fails to evaluate (a throw or an assertion)".to_string())
        }
        Some(f) => match serde_json::from_value::<Facts>(f.clone()) {
            Ok(facts) => Side::Present {
                facts: Box::new(facts),
                drv: None,
                system: None,
            },
            Err(e) => Side::Error(format!("unexpected security facts: {e}")),
        },
    }
}

/// The error of a failed side, with Nix's own message when one more call gets it.
fn side_error(nix: &Nix, flake: &str, kind: HostKind, host: &str, fallback: String) -> String {
    match nix.eval_toplevel(flake, kind, host) {
        Err(NixError::Failed { tail, .. }) => error_tail(&tail, 12),
        _ => fallback,
    }
}

/// The kind of `host` in a listing (NixOS when it is not listed).
fn kind_in(listing: &Result<HostList, NixError>, host: &str) -> HostKind {
    listing
        .as_ref()
        .ok()
        .and_then(|l| l.iter().find(|(n, _)| n == host).map(|(_, k)| *k))
        .unwrap_or_default()
}

/// Compare each of `hosts` (the head results, changed in place) with the
/// base. `head_list` is the head's listing of hosts (for the hosts removed
/// since the base). Head facts come from each result's `head_facts` (the
/// drvPath evaluator reported them); only hosts without them are evaluated
/// again at the head.
pub fn compare(
    nix: &Nix,
    head_flake: &str,
    head_list: Option<&HostList>,
    req: &DiffRequest,
    hosts: &mut [HostResult],
) -> DiffSummary {
    // Hosts that evaluated at head (built, evaluated, or skipped for their
    // platform) are compared: a host that failed or ran out of time there
    // is not evaluated again on either side.
    let compared = |h: &HostResult| {
        h.status.succeeded() || (h.status == HostStatus::Skipped && h.drv_path.is_some())
    };
    let names: Vec<String> = hosts
        .iter()
        .filter(|h| compared(h))
        .map(|h| h.name.clone())
        .collect();
    let base_list = nix.list_all_hosts(&req.base_flake);
    let start = Instant::now();
    let base = evaluate(nix, &req.base_flake, &base_list, &names, true, req.jobs);
    let base_eval_seconds = start.elapsed().as_secs_f64();
    // Head facts the drvPath evaluation did not report: one more call.
    let missing: Vec<String> = hosts
        .iter()
        .filter(|h| compared(h) && h.head_facts.is_none())
        .map(|h| h.name.clone())
        .collect();
    let start = Instant::now();
    let listing: Result<HostList, NixError> =
        Ok(hosts.iter().map(|h| (h.name.clone(), h.kind)).collect());
    let mut head_extra: BTreeMap<String, Side> = missing
        .iter()
        .cloned()
        .zip(evaluate(
            nix, head_flake, &listing, &missing, false, req.jobs,
        ))
        .collect();
    let head_eval_seconds = if missing.is_empty() {
        0.0
    } else {
        start.elapsed().as_secs_f64()
    };
    let mut summary = DiffSummary {
        base: req.base_rev.clone(),
        base_flake: req.base_flake.clone(),
        base_eval_seconds,
        head_eval_seconds,
        ..DiffSummary::default()
    };
    if let (Ok(b), Some(h)) = (&base_list, head_list) {
        summary.hosts_removed = b
            .iter()
            .filter(|(x, _)| !h.iter().any(|(y, _)| y == x))
            .map(|(x, _)| x.clone())
            .collect();
    }
    let mut base_sides: BTreeMap<&String, Side> = names.iter().zip(base).collect();
    let mut wanted: Vec<(String, Option<String>, bool)> = Vec::new();
    for r in hosts.iter_mut() {
        if nix
            .interrupt_flag()
            .load(std::sync::atomic::Ordering::SeqCst)
        {
            break;
        }
        if !compared(r) {
            let why = r
                .error
                .clone()
                .unwrap_or_else(|| format!("the host did not evaluate ({})", r.status.as_str()));
            let mut sec = SecurityDiff::incomplete(Err(None), Err(Some(why)));
            sec.base = "not-evaluated";
            r.security = Some(sec);
            continue;
        }
        let Some(b) = base_sides.remove(&r.name) else {
            continue;
        };
        let h = match r.head_facts.take() {
            Some(Ok(v)) => side_of(Some(&v)),
            Some(Err(e)) => Side::Error(e),
            None => head_extra.remove(&r.name).unwrap_or(Side::Absent),
        };
        let added = matches!(b, Side::Absent);
        if added {
            summary.hosts_added.push(r.name.clone());
        }
        let b_res: Result<&Facts, Option<String>> = match &b {
            Side::Absent => Err(None),
            Side::Error(e) => Err(Some(side_error(
                nix,
                &req.base_flake,
                kind_in(&base_list, &r.name),
                &r.name,
                e.clone(),
            ))),
            Side::Present { facts, .. } => Ok(facts),
        };
        let h_res: Result<&Facts, Option<String>> = match &h {
            Side::Present { facts, .. } => Ok(facts),
            Side::Error(e) => Err(Some(e.clone())),
            Side::Absent => Err(None),
        };
        let sec = match (&b_res, &h_res) {
            (Ok(x), Ok(y)) => SecurityDiff::of(security::diff(x, y)),
            (Err(None), Ok(y)) => SecurityDiff::added(security::diff_added(y)),
            _ => SecurityDiff::incomplete(
                b_res.as_ref().map(|_| ()).map_err(Clone::clone),
                h_res.as_ref().map(|_| ()).map_err(Clone::clone),
            ),
        };
        for f in sec
            .changes
            .iter()
            .filter(|f| f.judgement == Judgement::Loosened)
        {
            summary.loosened.push(HostFinding {
                host: r.name.clone(),
                finding: f.clone(),
            });
        }
        r.security = Some(sec);
        if req.closure && r.status == HostStatus::Built {
            let base_drv = match &b {
                Side::Present { drv, .. } => drv.clone(),
                _ => None,
            };
            wanted.push((r.name.clone(), base_drv, added));
        }
    }
    // Closures: base builds and measurements, `jobs` hosts at once.
    let size = wanted.len().div_ceil(req.jobs.max(1)).max(1);
    let measured: Vec<(String, Closure)> = std::thread::scope(|s| {
        let hosts: &[HostResult] = hosts;
        let handles: Vec<_> = wanted
            .chunks(size)
            .map(|part| {
                s.spawn(move || {
                    part.iter()
                        .filter_map(|(name, drv, added)| {
                            let r = hosts.iter().find(|h| &h.name == name)?;
                            Some((name.clone(), closure(nix, r, drv.as_deref(), *added)))
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_default())
            .collect()
    });
    for (name, c) in measured {
        if let Some(r) = hosts.iter_mut().find(|h| h.name == name) {
            r.closure = Some(c);
        }
    }
    summary.security_model = !summary.loosened.is_empty();
    summary
}

/// One host of `nixos-check --plan`: what would be built and fetched, and
/// how its derivation closure and security facts differ from the base.
#[derive(Debug, Clone, Serialize)]
pub struct HostPlan {
    pub name: String,
    /// `nixos` or `darwin`.
    pub kind: HostKind,
    /// Why the host was chosen (set by the caller): the changed file that
    /// affects it, `--hosts`, `--all-hosts`, or no change recorded.
    pub why: Option<String>,
    /// The toplevel's platform, e.g. `aarch64-darwin`.
    pub system: Option<String>,
    /// Why a check would skip the host (a platform this machine cannot build).
    pub reason: Option<String>,
    pub drv_path: Option<String>,
    /// Why the host cannot be planned (its evaluation failed).
    pub error: Option<String>,
    /// Derivations a build would run (not in the store yet).
    pub will_build: Vec<String>,
    /// Paths a build would download from a substituter.
    pub will_fetch: Vec<String>,
    /// Nix's own download and unpacked sizes of `will_fetch`.
    pub fetch_size: Option<String>,
    pub base_drv: Option<String>,
    /// The toplevel derivation differs from the base one.
    pub changed: Option<bool>,
    /// Derivations (by store path) in the head's build closure only, and in the base's only.
    pub derivations_added: Vec<String>,
    pub derivations_removed: Vec<String>,
    /// Package names and versions of those derivations.
    pub packages: Option<PackageDiff>,
    pub security: Option<SecurityDiff>,
}

fn drv_closure(nix: &Nix, drv: &StorePath) -> Result<BTreeSet<StorePath>, NixError> {
    let out = nix.run(&nix.show_derivation_recursive_args(drv))?;
    Ok(crate::nix::parse_derivations(&out, nix.store_dir())?
        .into_iter()
        .map(|d| d.path)
        .collect())
}

/// Plan `hosts`: evaluate each side once (facts and drvPaths together),
/// ask Nix what a build would do (a dry run), compare the derivation
/// closures and the security facts with the base. Builds nothing.
pub fn plan(
    nix: &Nix,
    head_flake: &str,
    head_list: &Result<HostList, NixError>,
    req: Option<&DiffRequest>,
    hosts: &[String],
) -> (Vec<HostPlan>, Option<DiffSummary>) {
    let jobs = req.map_or(1, |r| r.jobs);
    let head = evaluate(nix, head_flake, head_list, hosts, true, jobs);
    let base_list = req.map(|r| nix.list_all_hosts(&r.base_flake));
    let base = req
        .zip(base_list.as_ref())
        .map(|(r, list)| evaluate(nix, &r.base_flake, list, hosts, true, jobs));
    let mut summary = req.map(|r| DiffSummary {
        base: r.base_rev.clone(),
        base_flake: r.base_flake.clone(),
        ..DiffSummary::default()
    });
    let mut plans = Vec::new();
    let platforms = std::sync::OnceLock::new();
    for (i, name) in hosts.iter().enumerate() {
        let kind = kind_in(head_list, name);
        let mut p = HostPlan {
            name: name.clone(),
            kind,
            why: None,
            system: None,
            reason: None,
            drv_path: None,
            error: None,
            will_build: Vec::new(),
            will_fetch: Vec::new(),
            fetch_size: None,
            base_drv: None,
            changed: None,
            derivations_added: Vec::new(),
            derivations_removed: Vec::new(),
            packages: None,
            security: None,
        };
        let (facts, drv) = match &head[i] {
            Side::Present { facts, drv, system } => {
                p.system = system.clone();
                (facts, drv.clone())
            }
            Side::Absent => {
                p.error = Some(format!(
                    "unknown host {name:?}: {head_flake} has no such nixosConfigurations or darwinConfigurations entry"
                ));
                plans.push(p);
                continue;
            }
            Side::Error(e) => {
                p.error = Some(side_error(nix, head_flake, kind, name, e.clone()));
                plans.push(p);
                continue;
            }
        };
        let drv = drv.and_then(|d| StorePath::parse(&d, nix.store_dir()).ok());
        let Some(drv) = drv else {
            p.error = Some("no toplevel drvPath".into());
            plans.push(p);
            continue;
        };
        p.drv_path = Some(drv.to_string());
        if let Some(sys) = p
            .system
            .as_deref()
            .filter(|s| *s != crate::nix::Platforms::native())
        {
            let platforms = platforms.get_or_init(|| nix.platforms().ok());
            if let Some(pl) = platforms.as_ref().filter(|pl| !pl.can_build(sys)) {
                p.reason = Some(format!(
                    "its toplevel is built for {sys}, and this machine builds for {} with no remote builder: a check skips it",
                    pl.systems.join(", ")
                ));
            }
        }
        match nix.run_both(&nix.dry_run_args(&drv)) {
            Ok((_, stderr)) => {
                let (b, f, size) = crate::nix::parse_dry_run(&stderr);
                p.will_build = b;
                p.will_fetch = f;
                p.fetch_size = size;
            }
            Err(e) => p.error = Some(format!("the dry run failed: {e}")),
        }
        if let (Some(base), Some(sum)) = (&base, summary.as_mut()) {
            let sec = match &base[i] {
                Side::Present {
                    facts: bf, drv: bd, ..
                } => {
                    p.base_drv = bd.clone();
                    p.changed = Some(bd.as_deref() != Some(drv.as_str()));
                    if let Some(bd) = bd
                        .as_deref()
                        .and_then(|d| StorePath::parse(d, nix.store_dir()).ok())
                        && let (Ok(x), Ok(y)) = (drv_closure(nix, &bd), drv_closure(nix, &drv))
                    {
                        p.derivations_added = y.difference(&x).map(ToString::to_string).collect();
                        p.derivations_removed = x.difference(&y).map(ToString::to_string).collect();
                        let bare =
                            |s: &BTreeSet<StorePath>, other: &BTreeSet<StorePath>| -> Vec<String> {
                                s.difference(other)
                                    .map(|d| d.name().trim_end_matches(".drv").to_string())
                                    .collect()
                            };
                        let (xs, ys) = (bare(&x, &y), bare(&y, &x));
                        p.packages = Some(package_diff(
                            xs.iter().map(String::as_str),
                            ys.iter().map(String::as_str),
                        ));
                    }
                    SecurityDiff::of(security::diff(bf, facts))
                }
                Side::Absent => {
                    sum.hosts_added.push(name.clone());
                    // Every derivation of a new host is new.
                    if let Ok(y) = drv_closure(nix, &drv) {
                        p.derivations_added = y.iter().map(ToString::to_string).collect();
                        let names: Vec<String> = y
                            .iter()
                            .map(|d| d.name().trim_end_matches(".drv").to_string())
                            .collect();
                        p.packages = Some(package_diff([], names.iter().map(String::as_str)));
                    }
                    p.changed = Some(true);
                    SecurityDiff::added(security::diff_added(facts))
                }
                Side::Error(e) => SecurityDiff::incomplete(
                    Err(Some(side_error(
                        nix,
                        &sum.base_flake,
                        base_list.as_ref().map_or(kind, |l| kind_in(l, name)),
                        name,
                        e.clone(),
                    ))),
                    Ok(()),
                ),
            };
            for f in sec
                .changes
                .iter()
                .filter(|f| f.judgement == Judgement::Loosened)
            {
                sum.loosened.push(HostFinding {
                    host: name.clone(),
                    finding: f.clone(),
                });
            }
            p.security = Some(sec);
        }
        plans.push(p);
    }
    if let Some(s) = summary.as_mut() {
        s.security_model = !s.loosened.is_empty();
    }
    (plans, summary)
}

/// One closure: its paths (names) and its size in bytes.
fn closure_of(nix: &Nix, out: &StorePath) -> Result<(u64, BTreeSet<StorePath>), NixError> {
    let text = nix.run(&nix.path_info_closure_args(out))?;
    let infos = parse_path_info(&text, nix.store_dir())?;
    let size = infos
        .iter()
        .find(|i| &i.path == out)
        .and_then(|i| i.closure_size)
        .ok_or_else(|| NixError::JsonShape {
            what: "nix path-info -r -S --json",
            detail: format!("no closure size for {out}"),
        })?;
    Ok((size, infos.into_iter().map(|i| i.path).collect()))
}

/// The closure figures of a built host; `added`: the host is new at the
/// head, so its whole closure is new (base 0 bytes, every path added).
fn closure(nix: &Nix, r: &HostResult, base_drv: Option<&str>, added: bool) -> Closure {
    let mut c = r.closure.clone().unwrap_or_default();
    let head = r
        .out_path
        .as_deref()
        .and_then(|p| StorePath::parse(p, nix.store_dir()).ok())
        .map(|p| closure_of(nix, &p));
    let head = match head {
        Some(Ok(x)) => x,
        Some(Err(e)) => {
            c.base_error = Some(format!("cannot measure the head closure: {e}"));
            return c;
        }
        None => return c,
    };
    c.head_bytes = Some(head.0);
    if added {
        c.added = true;
        c.base_bytes = Some(0);
        c.change_bytes = Some(head.0 as i64);
        c.paths_added = head.1.iter().map(ToString::to_string).collect();
        c.packages = Some(package_diff([], head.1.iter().map(StorePath::name)));
        return c;
    }
    let Some(drv) = base_drv.and_then(|d| StorePath::parse(d, nix.store_dir()).ok()) else {
        c.base_error = Some("no base toplevel to compare with".into());
        return c;
    };
    c.base_drv = Some(drv.to_string());
    let start = Instant::now();
    let built = nix
        .run(&nix.build_args(&drv, None))
        .and_then(|o| nix.parse_build_json(&o));
    c.base_build_seconds = Some(start.elapsed().as_secs_f64());
    let out = match built {
        Ok(b) => b
            .into_iter()
            .next()
            .and_then(|b| b.outputs.get("out").cloned()),
        Err(e) => {
            c.base_error = Some(format!("cannot build the base toplevel: {e}"));
            return c;
        }
    };
    let Some(out) = out else {
        c.base_error = Some("the base toplevel has no `out` output".into());
        return c;
    };
    c.base_out = Some(out.to_string());
    let base = match closure_of(nix, &out) {
        Ok(x) => x,
        Err(e) => {
            c.base_error = Some(format!("cannot measure the base closure: {e}"));
            return c;
        }
    };
    c.base_bytes = Some(base.0);
    c.change_bytes = Some(head.0 as i64 - base.0 as i64);
    c.change_percent =
        (base.0 > 0).then(|| (head.0 as f64 - base.0 as f64) * 100.0 / base.0 as f64);
    c.paths_added = head
        .1
        .difference(&base.1)
        .map(ToString::to_string)
        .collect();
    c.paths_removed = base
        .1
        .difference(&head.1)
        .map(ToString::to_string)
        .collect();
    c.packages = Some(package_diff(
        base.1.iter().map(StorePath::name),
        head.1.iter().map(StorePath::name),
    ));
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls_are_percent_encoded() {
        use std::path::Path;
        assert_eq!(
            git_flake_url(
                Path::new("/srv/my repo#1"),
                Path::new(""),
                "abc",
                Some("HEAD")
            ),
            "git+file:///srv/my%20repo%231?rev=abc&ref=HEAD"
        );
        assert_eq!(
            git_flake_url(
                Path::new("/srv/repo"),
                Path::new("sub"),
                "abc",
                Some("HEAD")
            ),
            "git+file:///srv/repo?rev=abc&dir=sub"
        );
        assert_eq!(
            git_flake_url(
                Path::new("/r"),
                Path::new("sub dir/x&y"),
                "abc",
                Some("refs/heads/a b")
            ),
            "git+file:///r?rev=abc&dir=sub%20dir/x%26y&ref=refs/heads/a%20b"
        );
        assert_eq!(
            git_flake_url(Path::new("/r/ü%"), Path::new(""), "abc", None),
            "git+file:///r/%C3%BC%25?rev=abc"
        );
    }

    #[test]
    fn names_split_at_the_first_dash_before_a_digit() {
        assert_eq!(
            split_name("openssh-9.6p1"),
            ("openssh".into(), "9.6p1".into())
        );
        assert_eq!(
            split_name("nixos-system-yoga-25.05"),
            ("nixos-system-yoga".into(), "25.05".into())
        );
        assert_eq!(split_name("etc"), ("etc".into(), String::new()));
    }

    #[test]
    fn packages_added_removed_and_changed() {
        let d = package_diff(
            ["openssh-9.6", "bash-5.2", "etc"],
            ["openssh-9.7", "bash-5.2", "nginx-1.25", "etc"],
        );
        assert_eq!(d.added.len(), 1);
        assert_eq!(d.added[0].name, "nginx");
        assert!(d.removed.is_empty());
        assert_eq!(
            d.changed,
            [PackageChange {
                name: "openssh".into(),
                base: vec!["9.6".into()],
                head: vec!["9.7".into()]
            }]
        );
    }
}
