//! The opt-in enable-option layer (flake-analysis.md): a host that reaches a
//! gated module but never enables it is not affected by an edit confined to
//! the module's `mkIf` body.
use serde::Serialize;

use crate::flake::{FlakeModel, Host};

use super::{Options, Reason};

#[derive(Debug, Serialize, Clone)]
pub struct Verdict {
    /// The host was dropped by this layer.
    pub dropped: bool,
    pub explanation: String,
}

pub fn judge(_model: &FlakeModel, _host: &Host, _reasons: &[Reason], _opts: &Options) -> Verdict {
    Verdict {
        dropped: false,
        explanation: "kept: not yet analysed".into(),
    }
}
