//! Store paths as a checked type: `<store dir>/<32-char hash>-<name>`.
use serde::Serialize;

use super::NixError;

/// The store directory: `NIX_STORE_DIR` when it is set to an absolute path
/// (trailing slashes dropped), else `/nix/store`.
pub fn store_dir() -> String {
    std::env::var("NIX_STORE_DIR")
        .ok()
        .filter(|d| d.starts_with('/'))
        .map(|d| d.trim_end_matches('/').to_string())
        .unwrap_or_else(|| "/nix/store".to_string())
}

/// A checked store path, `<store dir>/<hash>-<name>`: the hash is 32
/// characters of lower-case ASCII letters and digits, the name is not empty.
/// Ordered and compared as its text; serialised as a plain string.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct StorePath(String);

const HASH_LEN: usize = 32;

impl StorePath {
    /// An absolute store path, or a base name (Nix 2.32 derivation JSON) that
    /// is placed in `store_dir`; surrounding whitespace is ignored. Only the
    /// last path component is checked: an absolute path is not required to
    /// lie in `store_dir`.
    ///
    /// Errors: [`NixError::StorePath`] (with the trimmed input) when the
    /// last component is not `<32 lower-case letters or digits>-<name>`.
    pub fn parse(s: &str, store_dir: &str) -> Result<StorePath, NixError> {
        let s = s.trim();
        let full = if s.starts_with('/') {
            s.to_string()
        } else {
            format!("{store_dir}/{s}")
        };
        let base = full.rsplit('/').next().unwrap_or("");
        let hash_ok = base.len() > HASH_LEN + 1
            && base.as_bytes()[HASH_LEN] == b'-'
            && base[..HASH_LEN]
                .bytes()
                .all(|b| b.is_ascii_digit() || b.is_ascii_lowercase());
        if !hash_ok {
            return Err(NixError::StorePath(s.to_string()));
        }
        Ok(StorePath(full))
    }

    /// The full path as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `<hash>-<name>`
    pub fn base_name(&self) -> &str {
        self.0.rsplit('/').next().unwrap_or(&self.0)
    }

    /// The name after the hash, e.g. `nixos-system-yoga.drv`.
    pub fn name(&self) -> &str {
        &self.base_name()[HASH_LEN + 1..]
    }

    /// The 32-character hash of the base name.
    pub fn hash_part(&self) -> &str {
        &self.base_name()[..HASH_LEN]
    }

    /// Whether it names a store derivation (ends in `.drv`).
    pub fn is_derivation(&self) -> bool {
        self.0.ends_with(".drv")
    }
}

impl std::fmt::Display for StorePath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// `text` with every store-path hash replaced by a placeholder, so that two
/// strings that differ only in the paths they mention compare equal: each
/// `<store_dir>/` followed by 32 lower-case letters or digits and `-` becomes
/// `<store_dir>/<hash>-`; everything else is kept.
pub fn mask_hashes(text: &str, store_dir: &str) -> String {
    let prefix = format!("{store_dir}/");
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find(&prefix) {
        let after = &rest[i + prefix.len()..];
        out.push_str(&rest[..i + prefix.len()]);
        let is_hash = after.len() > HASH_LEN
            && after.as_bytes()[HASH_LEN] == b'-'
            && after[..HASH_LEN]
                .bytes()
                .all(|b| b.is_ascii_digit() || b.is_ascii_lowercase());
        if is_hash {
            out.push_str("<hash>");
            rest = &after[HASH_LEN..];
        } else {
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const P: &str = "/nix/store/5f5bx2xkvmwvndad53cg2kh5yjqly16i-nixos-system-x.drv";

    #[test]
    fn parses_full_paths_and_base_names() {
        let a = StorePath::parse(P, "/nix/store").unwrap();
        let b = StorePath::parse(&P["/nix/store/".len()..], "/nix/store").unwrap();
        assert_eq!(a, b);
        assert_eq!(a.name(), "nixos-system-x.drv");
        assert_eq!(a.hash_part(), "5f5bx2xkvmwvndad53cg2kh5yjqly16i");
        assert!(a.is_derivation());
    }

    #[test]
    fn rejects_non_store_paths() {
        assert!(StorePath::parse("/etc/passwd", "/nix/store").is_err());
        assert!(StorePath::parse("error: boom", "/nix/store").is_err());
    }

    #[test]
    fn masks_hashes_only() {
        let t = format!("x {P} y /nix/store/short");
        assert_eq!(
            mask_hashes(&t, "/nix/store"),
            "x /nix/store/<hash>-nixos-system-x.drv y /nix/store/short"
        );
    }
}
