//! Which hosts and which revisions a command looks at for a change: host
//! names given by hand, every host, or the hosts the change's files affect
//! since its recorded base revision.
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
    /// These hosts, in this order.
    Hosts(Vec<String>),
    /// Every host of the flake: asked for, or nothing changed to narrow by.
    Every,
    /// Every host of the flake, because the impact could not be computed.
    Unknown(ImpactError),
}

impl Selected {
    /// The host names, or `None` for every host.
    pub fn hosts(self) -> Option<Vec<String>> {
        match self {
            Selected::Hosts(h) => Some(h),
            Selected::Every | Selected::Unknown(_) => None,
        }
    }
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
    match impact::affected_hosts(flake_dir, choice.base.or(recorded.as_deref())) {
        Ok(Some(hosts)) => Selected::Hosts(hosts),
        Ok(None) => Selected::Every,
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
