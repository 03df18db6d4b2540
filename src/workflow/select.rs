//! Which hosts and which revisions a command looks at for a change: host
//! names given by hand, every host, or the hosts the change's files affect
//! since its recorded base revision; each with why it was chosen. Names
//! given by hand are checked against the flake's hosts before anything runs.
use std::collections::BTreeMap;
use std::path::Path;

use super::Change;
use crate::impact::{self, ImpactError};

/// How the hosts to check were asked for.
#[derive(Debug, Clone, Copy, Default)]
pub struct HostChoice<'a> {
    /// Host names given by hand (`--hosts`); empty names and repeats are dropped.
    pub hosts: &'a [String],
    /// Every host of the flake (`--all-hosts`).
    pub all_hosts: bool,
    /// The change whose affected hosts to take.
    pub change: Option<&'a Change>,
    /// A base revision that wins over the change's recorded one (`--base`).
    pub base: Option<&'a str>,
}

/// The hosts to check.
#[derive(Debug)]
pub enum Selected {
    /// These hosts, in this order (named by `--hosts`).
    Hosts(Vec<String>),
    /// The hosts the change affects, in order, each with why: the changed
    /// file that reaches it (`affected by modules/ssh.nix`), or `added since
    /// the base`.
    Affected(Vec<(String, String)>),
    /// Every host of the flake: asked for (`--all-hosts`).
    Every,
    /// Every host of the flake: no change since the base to narrow by.
    NoChange,
    /// Every host of the flake, because the impact could not be computed.
    Unknown(ImpactError),
}

impl Selected {
    /// The host names, or `None` for every host.
    pub fn hosts(&self) -> Option<Vec<String>> {
        match self {
            Selected::Hosts(h) => Some(h.clone()),
            Selected::Affected(h) => Some(h.iter().map(|(n, _)| n.clone()).collect()),
            Selected::Every | Selected::NoChange | Selected::Unknown(_) => None,
        }
    }

    /// Why `host` was chosen, one short phrase.
    pub fn why(&self, host: &str) -> String {
        match self {
            Selected::Hosts(_) => "named by --hosts".into(),
            Selected::Affected(h) => h
                .iter()
                .find(|(n, _)| n == host)
                .map_or_else(|| "affected by the change".into(), |(_, w)| w.clone()),
            Selected::Every => "--all-hosts".into(),
            Selected::NoChange => "no change recorded since the base: every host".into(),
            Selected::Unknown(e) => format!("impact unknown ({e}): every host"),
        }
    }
}

/// Names of `given` that are not among `known`, each with a `; did you mean
/// "x"?` suffix naming the closest known name (edit distance at most a
/// third of the name, at least 1), or an empty suffix.
pub fn unknown_hosts<'a>(given: &'a [String], known: &[&str]) -> Vec<(&'a str, String)> {
    given
        .iter()
        .filter(|g| !g.is_empty() && !known.contains(&g.as_str()))
        .map(|g| {
            let limit = (g.chars().count() / 3).max(1);
            let hint = known
                .iter()
                .map(|k| (crate::spec::repo::edit_distance(g, k), *k))
                .filter(|(d, _)| *d <= limit)
                .min()
                .map(|(_, k)| format!("; did you mean \"{k}\"?"))
                .unwrap_or_default();
            (g.as_str(), hint)
        })
        .collect()
}

/// Why a host is affected, from its impact reasons: the first changed file
/// (and how many more), or that it is new since the base.
fn why_affected(h: &impact::HostImpact) -> String {
    if h.change == Some(impact::HostChange::Added) && h.reasons.is_empty() {
        return "added since the base".into();
    }
    let mut files: Vec<String> = Vec::new();
    for r in &h.reasons {
        let f = if r.file.is_empty() {
            r.kind.to_string()
        } else {
            r.file.clone()
        };
        if !files.contains(&f) {
            files.push(f);
        }
    }
    let added = if h.change == Some(impact::HostChange::Added) {
        " (added since the base)"
    } else {
        ""
    };
    match files.as_slice() {
        [] => format!("affected by the change{added}"),
        [one] => format!("affected by {one}{added}"),
        [first, rest @ ..] => format!("affected by {first} and {} more file(s){added}", rest.len()),
    }
}

/// The hosts affected since `base` (None: nothing changed), each with why.
fn affected(
    flake_dir: &Path,
    base: Option<&str>,
) -> Result<Option<Vec<(String, String)>>, ImpactError> {
    let selection = impact::Request {
        base: base.map(str::to_string),
        ..Default::default()
    }
    .resolve(flake_dir)?;
    if selection.changed.is_empty() {
        return Ok(None);
    }
    let model = crate::flake::load_lazy(flake_dir)?;
    let base_model = impact::load_base(flake_dir, &selection, &model)?;
    let report = impact::analyze(
        &model,
        base_model.as_ref(),
        &selection.changed,
        &selection.options,
    );
    let why: BTreeMap<&str, String> = report
        .hosts
        .iter()
        .map(|h| (h.name.as_str(), why_affected(h)))
        .collect();
    Ok(Some(
        report
            .affected_hosts
            .iter()
            .map(|n| (n.clone(), why.get(n.as_str()).cloned().unwrap_or_default()))
            .collect(),
    ))
}

/// The hosts to check in the flake at `flake_dir`: the hosts given by hand,
/// else every host when asked, else the hosts affected since `--base` or the
/// change's recorded base (default: the merge-base with the default branch).
pub fn hosts_to_check(flake_dir: &Path, choice: &HostChoice) -> Selected {
    if !choice.hosts.is_empty() {
        let mut seen = std::collections::HashSet::new();
        return Selected::Hosts(
            choice
                .hosts
                .iter()
                .filter(|h| !h.is_empty() && seen.insert(h.as_str()))
                .cloned()
                .collect(),
        );
    }
    if choice.all_hosts {
        return Selected::Every;
    }
    // The change's recorded base revision when it has one (set by code-impl).
    let recorded = choice.change.and_then(Change::base_revision);
    match affected(flake_dir, choice.base.or(recorded.as_deref())) {
        Ok(Some(hosts)) => Selected::Affected(hosts),
        Ok(None) => Selected::NoChange,
        Err(e) => Selected::Unknown(e),
    }
}

/// The impact request for a change (or none): the revisions and files given
/// by hand, and the change's recorded base for when no `--base` is given.
pub fn impact_request(
    change: Option<&Change>,
    files: &[String],
    base: Option<&str>,
    head: Option<&str>,
    precise: bool,
) -> impact::Request {
    impact::Request {
        files: files.to_vec(),
        base: base.map(str::to_string),
        recorded_base: change.and_then(Change::base_revision),
        head: head.map(str::to_string),
        precise,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_names_get_the_closest_known_one() {
        let given: Vec<String> = ["web.example", "mac-mini", "yogaa", "zzz"]
            .map(String::from)
            .to_vec();
        let known = ["web.example", "mac-mini.local", "yoga"];
        let u = unknown_hosts(&given, &known);
        assert_eq!(
            u,
            [
                ("mac-mini", String::new()),
                ("yogaa", "; did you mean \"yoga\"?".to_string()),
                ("zzz", String::new())
            ]
        );
        let typo = ["mac-mini.locl".to_string()];
        let u = unknown_hosts(&typo, &known);
        assert_eq!(u[0].1, "; did you mean \"mac-mini.local\"?");
    }

    #[test]
    fn hosts_by_hand_keep_their_order_without_repeats_or_empty_names() {
        let hosts: Vec<String> = ["b", "", "a", "b"].map(String::from).to_vec();
        let choice = HostChoice {
            hosts: &hosts,
            all_hosts: true,
            ..Default::default()
        };
        let picked = hosts_to_check(Path::new("/nonexistent"), &choice).hosts();
        assert_eq!(picked, Some(vec!["b".to_string(), "a".to_string()]));
        let every = HostChoice {
            all_hosts: true,
            ..Default::default()
        };
        assert!(matches!(
            hosts_to_check(Path::new("/nonexistent"), &every),
            Selected::Every
        ));
    }

    #[test]
    fn files_by_hand_need_no_git_and_the_recorded_base_yields_to_base() {
        let root = tempfile::tempdir().unwrap();
        let change = Change::at(root.path(), "c");
        std::fs::create_dir_all(&change.dir).unwrap();
        std::fs::write(change.tracking_path(), r#"{"base":"recorded"}"#).unwrap();
        let files = vec!["a.nix".to_string()];
        let req = impact_request(Some(&change), &files, None, None, true);
        assert_eq!(req.recorded_base.as_deref(), Some("recorded"));
        let sel = req.resolve(Path::new("/nonexistent")).unwrap();
        assert_eq!(
            (sel.changed, sel.base, sel.head),
            (files, None, "files".into())
        );
        assert!(sel.options.precise);
        let req = impact_request(Some(&change), &[], Some("given"), None, false);
        assert_eq!(
            (req.base.as_deref(), req.recorded_base.as_deref()),
            (Some("given"), Some("recorded"))
        );
    }
}
