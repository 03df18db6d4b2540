//! Per-process Nix settings: what we need goes into the child's `NIX_CONFIG`
//! (appended to the caller's, never into a global file), and what the user
//! passes for remote building is handed through as flags Nix understands.
/// What the user asked for about Nix itself (remote building, options);
/// the default is none of it: local store, no extra flags.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NixSettings {
    /// `--builders SPEC` (Nix remote builders, e.g. `ssh://host x86_64-linux`).
    pub builders: Option<String>,
    /// `--store URL` (e.g. `ssh-ng://ci`): build in another store.
    pub store: Option<String>,
    /// `--eval-store URL`: where evaluation writes derivations.
    pub eval_store: Option<String>,
    /// `--option NAME VALUE` pairs, in order.
    pub options: Vec<(String, String)>,
    /// Extra `NIX_CONFIG` lines (`name = value`).
    pub config: Vec<String>,
}

/// Always on: the CLI we call is the `nix-command`/`flakes` one (`extra-`
/// adds to what the user's configuration enables instead of replacing it).
/// The evaluation cache is off because parallel evaluators of one flake share
/// its SQLite file and wait on each other's locks ("database is busy").
const REQUIRED: &str = "extra-experimental-features = nix-command flakes\neval-cache = false";

impl NixSettings {
    /// The `NIX_CONFIG` of a child: the inherited value, then ours (later lines win).
    pub fn nix_config(&self, inherited: Option<&str>) -> String {
        let mut lines: Vec<&str> = Vec::new();
        if let Some(i) = inherited.filter(|i| !i.trim().is_empty()) {
            lines.push(i.trim_end_matches('\n'));
        }
        lines.push(REQUIRED);
        lines.extend(self.config.iter().map(String::as_str));
        lines.join("\n")
    }

    /// Flags for every `nix` invocation, in this order: `--builders`,
    /// `--store`, `--eval-store`, then each `--option NAME VALUE`.
    pub fn args(&self) -> Vec<String> {
        let mut a = Vec::new();
        if let Some(b) = &self.builders {
            a.extend(["--builders".to_string(), b.clone()]);
        }
        if let Some(s) = &self.store {
            a.extend(["--store".to_string(), s.clone()]);
        }
        if let Some(s) = &self.eval_store {
            a.extend(["--eval-store".to_string(), s.clone()]);
        }
        for (k, v) in &self.options {
            a.extend(["--option".to_string(), k.clone(), v.clone()]);
        }
        a
    }

    /// True when builds land in the local store, where out-links can be GC
    /// roots: no `--store`, or `auto`, `local`, `daemon`, or an absolute path.
    pub fn local_store(&self) -> bool {
        match self.store.as_deref() {
            None | Some("auto") | Some("local") | Some("daemon") => true,
            Some(s) => s.starts_with('/'),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn appends_to_inherited_config() {
        let s = NixSettings {
            config: vec!["sandbox = false".into()],
            ..Default::default()
        };
        assert_eq!(
            s.nix_config(Some("substituters =\n")),
            "substituters =\nextra-experimental-features = nix-command flakes\neval-cache = false\nsandbox = false"
        );
        assert_eq!(s.nix_config(None).lines().count(), 3);
    }

    #[test]
    fn passes_remote_building_through() {
        let s = NixSettings {
            builders: Some("ssh://b x86_64-linux".into()),
            store: Some("ssh-ng://ci".into()),
            eval_store: Some("auto".into()),
            options: vec![("max-jobs".into(), "0".into())],
            config: vec![],
        };
        assert_eq!(
            s.args(),
            [
                "--builders",
                "ssh://b x86_64-linux",
                "--store",
                "ssh-ng://ci",
                "--eval-store",
                "auto",
                "--option",
                "max-jobs",
                "0"
            ]
        );
        assert!(!s.local_store());
        assert!(NixSettings::default().local_store());
    }
}
