//! Outcomes as exit codes: the one place where an error of any layer becomes
//! a message and an exit code (0 ok, 1 invalid item / refused / failed host /
//! missed prediction, 2 usage or environment). Commands use `?` on domain
//! errors; the `From` impls below decide refused (1) versus usage (2).
use crate::flake::FlakeError;
use crate::git::GitError;
use crate::impact::ImpactError;
use crate::nix::NixError;
use crate::spec::SpecError;
use crate::verify::VerifyError;
use crate::workflow::assistant::AssistantError;
use crate::workflow::{ChangeError, CreateError, LifecycleError, TrackingError};

/// Process exit codes: 0 ok, 1 invalid item / refused /
/// failed host / missed prediction, 2 usage or environment error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Exit {
    Ok = 0,
    Refused = 1,
    Usage = 2,
}

/// A command that could not produce its report.
#[derive(Debug)]
pub struct Failure {
    pub exit: Exit,
    /// One line (or a few) for stderr: the error's own text, which already
    /// names its cause the way each layer words it.
    pub message: String,
    /// The JSON document to print under `--json` instead of the generic `{"error": …}`.
    pub json: Option<serde_json::Value>,
    /// The domain error this failure came from, kept for its source chain.
    pub cause: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl Failure {
    /// Exit 1: the item is invalid or the operation was refused.
    pub fn refused(message: impl Into<String>) -> Self {
        Failure::new(Exit::Refused, message.into())
    }
    /// Exit 2: usage or environment problem (no root, no nix, no git, unreadable flake).
    pub fn usage(message: impl Into<String>) -> Self {
        Failure::new(Exit::Usage, message.into())
    }
    pub fn with_json(mut self, doc: serde_json::Value) -> Self {
        self.json = Some(doc);
        self
    }

    /// Keep `e` as the cause of a failure whose message already words it.
    pub fn caused_by(mut self, e: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.cause = Some(Box::new(e));
        self
    }

    fn new(exit: Exit, message: String) -> Self {
        Failure {
            exit,
            message,
            json: None,
            cause: None,
        }
    }

    /// `exit` with the error's text, keeping the error as the cause.
    fn of(exit: Exit, e: impl std::error::Error + Send + Sync + 'static) -> Self {
        Failure {
            exit,
            message: e.to_string(),
            json: None,
            cause: Some(Box::new(e)),
        }
    }
}

/// Environment problems (unreadable directories, a broken archive journal)
/// are usage errors; bad names, unknown items and invalid changes are refusals.
impl From<SpecError> for Failure {
    fn from(e: SpecError) -> Self {
        let exit = if e.is_environment() {
            Exit::Usage
        } else {
            Exit::Refused
        };
        Failure::of(exit, e)
    }
}

/// No flake, or an unreadable one: the environment.
impl From<FlakeError> for Failure {
    fn from(e: FlakeError) -> Self {
        Failure::of(Exit::Usage, e)
    }
}

/// No git, no repository, an unknown revision: the environment or the usage.
impl From<GitError> for Failure {
    fn from(e: GitError) -> Self {
        Failure::of(Exit::Usage, e)
    }
}

/// The impact cannot be computed without git and a readable flake.
impl From<ImpactError> for Failure {
    fn from(e: ImpactError) -> Self {
        Failure::of(Exit::Usage, e)
    }
}

/// No Nix, or one too old to use.
impl From<NixError> for Failure {
    fn from(e: NixError) -> Self {
        Failure::of(Exit::Usage, e)
    }
}

/// Missing Nix or git and unreadable flakes are the environment; what Nix
/// reports about the hosts themselves (and interruptions) is a refusal.
impl From<VerifyError> for Failure {
    fn from(e: VerifyError) -> Self {
        let exit = if e.is_environment() {
            Exit::Usage
        } else {
            Exit::Refused
        };
        Failure::of(exit, e)
    }
}

/// An unknown change id is refused.
impl From<ChangeError> for Failure {
    fn from(e: ChangeError) -> Self {
        Failure::of(Exit::Refused, e)
    }
}

/// An existing change is refused; a file that cannot be written is the environment.
impl From<CreateError> for Failure {
    fn from(e: CreateError) -> Self {
        let exit = match e {
            CreateError::Exists { .. } | CreateError::Appeared { .. } => Exit::Refused,
            CreateError::Write { .. } => Exit::Usage,
        };
        Failure::of(exit, e)
    }
}

/// A broken tracking file makes the change invalid.
impl From<TrackingError> for Failure {
    fn from(e: TrackingError) -> Self {
        Failure::of(Exit::Refused, e)
    }
}

/// A gate not met, an archived or untracked change, a broken tracking file:
/// refused; no lock, no git, an unreadable file: the environment.
impl From<LifecycleError> for Failure {
    fn from(e: LifecycleError) -> Self {
        let exit = if e.is_environment() {
            Exit::Usage
        } else {
            Exit::Refused
        };
        Failure::of(exit, e)
    }
}

/// Broken markers in a command file refuse the write; an unwritable one is the environment.
impl From<AssistantError> for Failure {
    fn from(e: AssistantError) -> Self {
        let exit = match e {
            AssistantError::Markers { .. } => Exit::Refused,
            AssistantError::Io { .. } => Exit::Usage,
        };
        Failure::of(exit, e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn causes_decide_the_exit_and_stay_reachable() {
        let f = Failure::from(ImpactError::Git(GitError::NoDefaultBranch));
        assert_eq!(f.exit, Exit::Usage);
        assert_eq!(f.message, GitError::NoDefaultBranch.to_string());
        assert!(f.cause.is_some());
        let f = Failure::from(ChangeError::Unknown { id: "x".into() });
        assert_eq!(f.exit, Exit::Refused);
        let f = Failure::from(SpecError::NotFound("gone".into()));
        assert_eq!((f.exit, f.message.as_str()), (Exit::Refused, "gone"));
        let f = Failure::from(SpecError::NoOpenspecDir("/r".into()));
        assert_eq!(f.exit, Exit::Usage);
    }
}
