//! Base versus head per host: the security facts of both sides (one
//! evaluator call per side for all hosts, the base call also returning the
//! base drvPaths), the closure of both sides (the base built when it is not
//! in the store yet), the store paths and packages added and removed.
use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;

use serde::Serialize;
use serde_json::Value;

use super::report::{Closure, HostResult, HostStatus};
use super::security::{self, Facts, Finding, Judgement, SecurityDiff};
use crate::nix::{Nix, NixError, StorePath, error_tail, parse_path_info, quote_attr};

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

/// The run-wide part of the comparison.
#[derive(Debug, Clone, Default, Serialize)]
pub struct DiffSummary {
    pub base: String,
    pub base_flake: String,
    /// Seconds of the one base and the one head evaluator call.
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
    },
}

/// Evaluate facts (and drvPaths) of `hosts` in `flake`, one call; a host
/// whose evaluation breaks the call gets a call of its own.
fn evaluate(
    nix: &Nix,
    flake: &str,
    listing: &Result<Vec<String>, NixError>,
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
    let present: Vec<String> = hosts
        .iter()
        .filter(|h| listed.contains(h) && quote_attr(h).is_ok())
        .cloned()
        .collect();
    // One evaluator per chunk, `jobs` chunks at once: still one evaluation
    // per host and side.
    let size = present.len().div_ceil(jobs.max(1)).max(1);
    let chunk = |part: &[String]| match eval_facts(nix, flake, part, with_drv) {
        Ok(m) => m,
        Err(_) => part
            .iter()
            .map(|h| {
                let side = match eval_facts(nix, flake, std::slice::from_ref(h), with_drv) {
                    Ok(mut m) => m.remove(h).unwrap_or(Side::Absent),
                    Err(e) => Side::Error(e.to_string()),
                };
                (h.clone(), side)
            })
            .collect(),
    };
    let mut found: BTreeMap<String, Side> = std::thread::scope(|s| {
        let handles: Vec<_> = present
            .chunks(size)
            .map(|part| s.spawn(move || chunk(part)))
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
    hosts: &[String],
    with_drv: bool,
) -> Result<BTreeMap<String, Side>, NixError> {
    let quoted: Vec<String> = hosts
        .iter()
        .map(|h| quote_attr(h))
        .collect::<Result<_, _>>()?;
    let args = nix.eval_apply_args(
        &format!("{flake}#nixosConfigurations"),
        &security::facts_apply(&quoted, with_drv),
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
        let side = match v.get("facts") {
            Some(Value::Null) | None => Side::Error(
                "its configuration fails to evaluate (a throw or an assertion)".to_string(),
            ),
            Some(f) => match serde_json::from_value::<Facts>(f.clone()) {
                Ok(facts) if !with_drv || drv.is_some() => Side::Present {
                    facts: Box::new(facts),
                    drv,
                },
                Ok(_) => Side::Error(
                    "its toplevel fails to evaluate (a throw or an assertion)".to_string(),
                ),
                Err(e) => Side::Error(format!("unexpected security facts: {e}")),
            },
        };
        m.insert(host, side);
    }
    Ok(m)
}

/// The error of a failed side, with Nix's own message when one more call gets it.
fn side_error(nix: &Nix, flake: &str, host: &str, fallback: String) -> String {
    match nix.eval_toplevel(flake, host) {
        Err(NixError::Failed { tail, .. }) => error_tail(&tail, 12),
        _ => fallback,
    }
}

/// Compare each of `hosts` (the head results, changed in place) with the base.
pub fn compare(
    nix: &Nix,
    head_flake: &str,
    req: &DiffRequest,
    hosts: &mut [HostResult],
) -> DiffSummary {
    // Only hosts that evaluated at head are compared: a host that failed or
    // ran out of time there is not evaluated again on either side.
    let names: Vec<String> = hosts
        .iter()
        .filter(|h| h.status.succeeded())
        .map(|h| h.name.clone())
        .collect();
    let (base_list, head_list) = (nix.list_hosts(&req.base_flake), nix.list_hosts(head_flake));
    let start = Instant::now();
    let base = evaluate(nix, &req.base_flake, &base_list, &names, true, req.jobs);
    let base_eval_seconds = start.elapsed().as_secs_f64();
    let start = Instant::now();
    let head = evaluate(nix, head_flake, &head_list, &names, false, req.jobs);
    let head_eval_seconds = start.elapsed().as_secs_f64();
    let mut summary = DiffSummary {
        base: req.base_rev.clone(),
        base_flake: req.base_flake.clone(),
        base_eval_seconds,
        head_eval_seconds,
        ..DiffSummary::default()
    };
    if let (Ok(b), Ok(h)) = (&base_list, &head_list) {
        summary.hosts_removed = b.iter().filter(|x| !h.contains(x)).cloned().collect();
    }
    let mut sides = names.iter().zip(base.into_iter().zip(head));
    let mut wanted: Vec<(String, Option<String>)> = Vec::new();
    for r in hosts.iter_mut() {
        if nix
            .interrupt_flag()
            .load(std::sync::atomic::Ordering::SeqCst)
        {
            break;
        }
        if !r.status.succeeded() {
            let why = r
                .error
                .clone()
                .unwrap_or_else(|| format!("the host did not evaluate ({})", r.status.as_str()));
            let mut sec = SecurityDiff::incomplete(Err(None), Err(Some(why)));
            sec.base = "not-evaluated";
            r.security = Some(sec);
            continue;
        }
        let Some((_, (b, h))) = sides.find(|(n, _)| *n == &r.name) else {
            continue;
        };
        let b_res: Result<&Facts, Option<String>> = match &b {
            Side::Absent => {
                summary.hosts_added.push(r.name.clone());
                Err(None)
            }
            Side::Error(e) => Err(Some(side_error(nix, &req.base_flake, &r.name, e.clone()))),
            Side::Present { facts, .. } => Ok(facts),
        };
        let h_res: Result<&Facts, Option<String>> = match &h {
            Side::Present { facts, .. } => Ok(facts),
            Side::Error(e) => Err(Some(e.clone())),
            Side::Absent => Err(None),
        };
        let sec = match (&b_res, &h_res) {
            (Ok(x), Ok(y)) => SecurityDiff::of(security::diff(x, y)),
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
            wanted.push((r.name.clone(), base_drv));
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
                        .filter_map(|(name, drv)| {
                            let r = hosts.iter().find(|h| &h.name == name)?;
                            Some((name.clone(), closure(nix, r, drv.as_deref())))
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
    req: Option<&DiffRequest>,
    hosts: &[String],
) -> (Vec<HostPlan>, Option<DiffSummary>) {
    let jobs = req.map_or(1, |r| r.jobs);
    let head = evaluate(
        nix,
        head_flake,
        &nix.list_hosts(head_flake),
        hosts,
        true,
        jobs,
    );
    let base = req.map(|r| {
        evaluate(
            nix,
            &r.base_flake,
            &nix.list_hosts(&r.base_flake),
            hosts,
            true,
            jobs,
        )
    });
    let mut summary = req.map(|r| DiffSummary {
        base: r.base_rev.clone(),
        base_flake: r.base_flake.clone(),
        ..DiffSummary::default()
    });
    let mut plans = Vec::new();
    for (i, name) in hosts.iter().enumerate() {
        let mut p = HostPlan {
            name: name.clone(),
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
            Side::Present { facts, drv } => (facts, drv.clone()),
            Side::Absent => {
                p.error = Some(format!(
                    "unknown host {name:?}: {head_flake} has no such nixosConfigurations entry"
                ));
                plans.push(p);
                continue;
            }
            Side::Error(e) => {
                p.error = Some(side_error(nix, head_flake, name, e.clone()));
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
                Side::Present { facts: bf, drv: bd } => {
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
                    SecurityDiff::incomplete(Err(None), Ok(()))
                }
                Side::Error(e) => SecurityDiff::incomplete(
                    Err(Some(side_error(nix, &sum.base_flake, name, e.clone()))),
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

fn closure(nix: &Nix, r: &HostResult, base_drv: Option<&str>) -> Closure {
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
