//! Every host name of a flake, from Nix itself: the attribute names of
//! `nixosConfigurations` and `darwinConfigurations`, in one lazy evaluation
//! (no host is evaluated, only the names of the two attribute sets).
use super::{Nix, NixError};

impl Nix {
    /// `nix eval --json --impure --expr <getFlake …>` followed by the
    /// settings' flags. `flake` is a directory or a flake reference;
    /// `--impure` is what lets `builtins.getFlake` read an unlocked
    /// reference such as a working tree.
    pub fn host_names_args(&self, flake: &str) -> Vec<String> {
        let quoted = flake
            .replace('\\', "\\\\")
            .replace('"', "\\\"")
            .replace("${", "\\${");
        let expr = format!(
            "let f = builtins.getFlake \"{quoted}\"; names = a: if f ? ${{a}} then builtins.attrNames f.${{a}} else [ ]; in {{ nixos = names \"nixosConfigurations\"; darwin = names \"darwinConfigurations\"; }}"
        );
        self.with_settings(vec![
            "eval".into(),
            "--json".into(),
            "--impure".into(),
            "--no-write-lock-file".into(),
            "--expr".into(),
            expr,
        ])
    }

    /// The flake's hosts as `(name, kind)`, kind `nixos` or `darwin`, sorted
    /// by kind then name. It needs the flake's inputs (fetched or in the
    /// store), as any evaluation does. Errors: those of [`Nix::run`], and
    /// [`NixError::Json`] when the output is not the expected object.
    pub fn host_names(&self, flake: &str) -> Result<Vec<(String, String)>, NixError> {
        let out = self.run(&self.host_names_args(flake))?;
        parse_host_names(&out)
    }
}

/// `{"darwin": [...], "nixos": [...]}` as `(name, kind)` pairs.
/// Errors: [`NixError::Json`] when it is not that shape.
pub fn parse_host_names(json: &str) -> Result<Vec<(String, String)>, NixError> {
    #[derive(serde::Deserialize)]
    struct Names {
        nixos: Vec<String>,
        darwin: Vec<String>,
    }
    let n: Names = serde_json::from_str(json.trim()).map_err(|source| NixError::Json {
        what: "nix eval --json (host names)",
        source,
    })?;
    let mut out: Vec<(String, String)> =
        n.darwin.into_iter().map(|h| (h, "darwin".into())).collect();
    out.extend(n.nixos.into_iter().map(|h| (h, "nixos".into())));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_of_both_kinds_and_bad_shapes() {
        let got = parse_host_names(r#"{"darwin":["mac"],"nixos":["a","b.c"]}"#).ok();
        assert_eq!(
            got,
            Some(vec![
                ("mac".into(), "darwin".into()),
                ("a".into(), "nixos".into()),
                ("b.c".into(), "nixos".into())
            ])
        );
        assert!(parse_host_names(r#"["a"]"#).is_err());
    }
}
