//! Changed files -> affected hosts and modules, with reasons.
use std::path::Path;

#[derive(Debug, thiserror::Error)]
pub enum ImpactError {
    #[error(transparent)]
    Git(#[from] crate::git::GitError),
    #[error("{0}")]
    Flake(String),
}

/// Names of the hosts affected by the changes between `base` (default: the
/// merge-base with the default branch) and the working tree of `flake_dir`.
/// `Ok(None)` when the static model cannot tell; callers then take every host.
pub fn affected_hosts(
    flake_dir: &Path,
    base: Option<&str>,
) -> Result<Option<Vec<String>>, ImpactError> {
    let _ = (flake_dir, base);
    Ok(None)
}
