//! `nix --version`, parsed once, and the features that follow from it.
//! We branch on features rather than on version numbers scattered in callers.
use serde::Serialize;

/// Which implementation printed the version line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Flavor {
    /// Nix itself (also Determinate Nix, which prints a Nix version).
    Nix,
    /// Lix: the version line contains `Lix`.
    Lix,
}

/// The installed CLI's version, from `nix --version`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NixVersion {
    /// Which implementation it is.
    pub flavor: Flavor,
    /// First number of the version token.
    pub major: u32,
    /// Second number (0 when absent).
    pub minor: u32,
    /// Third number (0 when absent).
    pub patch: u32,
    /// The version token as printed, e.g. `2.8.0` or `2.24.0pre20240101_dirty`.
    #[serde(rename = "version")]
    pub raw: String,
}

impl NixVersion {
    /// Parse the first line of `nix --version`: `nix (Nix) 2.8.0`,
    /// `nix (Lix, like Nix) 2.91.1`, `nix (Determinate Nix 3.6.2) 2.29.0`.
    /// The version is the last word starting with a digit on the first
    /// non-blank line; major, minor and patch are that word's first three
    /// fields when split at every non-digit (an empty or missing minor or
    /// patch is 0). `None` when there is no such word.
    pub fn parse(output: &str) -> Option<NixVersion> {
        let line = output.lines().find(|l| !l.trim().is_empty())?;
        let token = line
            .split_whitespace()
            .rev()
            .find(|t| t.starts_with(|c: char| c.is_ascii_digit()))?;
        let mut nums = token.split(|c: char| !c.is_ascii_digit());
        let major = nums.next()?.parse().ok()?;
        let minor = nums.next().and_then(|n| n.parse().ok()).unwrap_or(0);
        let patch = nums.next().and_then(|n| n.parse().ok()).unwrap_or(0);
        let flavor = if line.contains("Lix") {
            Flavor::Lix
        } else {
            Flavor::Nix
        };
        Some(NixVersion {
            flavor,
            major,
            minor,
            patch,
            raw: token.to_string(),
        })
    }

    fn at_least(&self, major: u32, minor: u32) -> bool {
        (self.major, self.minor) >= (major, minor)
    }

    /// The CLI features of this version. Lix forked from Nix 2.18 and keeps its
    /// interface (list-shaped path-info, full store paths in derivation JSON).
    pub fn features(&self) -> Features {
        let v = match self.flavor {
            Flavor::Nix => self.clone(),
            Flavor::Lix => NixVersion {
                major: 2,
                minor: 18,
                ..self.clone()
            },
        };
        Features {
            derivation_show: v.at_least(2, 15),
            print_out_paths: v.at_least(2, 9),
            drv_caret_outputs: v.at_least(2, 13),
            drv_needs_caret: v.at_least(2, 15),
            path_info_map: v.at_least(2, 19),
            config_show: v.at_least(2, 20),
            drv_json_base_names: v.at_least(2, 32),
        }
    }
}

impl std::fmt::Display for NixVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.flavor {
            Flavor::Nix => write!(f, "Nix {}", self.raw),
            Flavor::Lix => write!(f, "Lix {}", self.raw),
        }
    }
}

/// What the installed CLI can do; each field names the Nix release that
/// brought it. Lix versions count as Nix 2.18, where Lix forked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Features {
    /// `nix derivation show` (2.15); before it only `nix show-derivation`.
    pub derivation_show: bool,
    /// `nix build --print-out-paths` (2.9).
    pub print_out_paths: bool,
    /// `<drv>^*` accepted for store-derivation installables (2.13).
    pub drv_caret_outputs: bool,
    /// A bare `.drv` installable means the file itself (2.15): write `<drv>^*`.
    pub drv_needs_caret: bool,
    /// `nix path-info --json` returns a map keyed by path (2.19) instead of a list.
    pub path_info_map: bool,
    /// `nix config show` (2.20) instead of `nix show-config`.
    pub config_show: bool,
    /// Derivation JSON names store paths by base name (2.32).
    pub drv_json_base_names: bool,
}
