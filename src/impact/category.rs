//! Which pantherOS proposal kinds a change touches, from the paths it changes.
use std::collections::BTreeSet;

pub fn classify(changed: &[String]) -> Vec<String> {
    let mut out = BTreeSet::new();
    for c in changed {
        let lower = c.to_lowercase();
        let segs: Vec<&str> = lower.split('/').collect();
        let name = segs.last().copied().unwrap_or("");
        let has = |s: &str| segs.iter().any(|x| x.contains(s));
        if [
            "security",
            "secrets",
            "ssh",
            "firewall",
            "sops",
            "agenix",
            "1password",
            "vault",
            "pam",
        ]
        .iter()
        .any(|s| has(s))
            || name.ends_with(".pub")
        {
            out.insert("security-model");
        }
        if has("hardware")
            || name.contains("facter")
            || name.starts_with("disko")
            || name == "hardware-configuration.nix"
        {
            out.insert("hardware");
        }
        if segs.first() == Some(&"hosts") || segs.first() == Some(&"machines") {
            out.insert("host-configuration");
        }
        if segs.first() == Some(&"modules") && !out.contains("security-model") {
            out.insert("module-interface");
        }
        if has("skill") {
            out.insert("skill");
        }
        if name == "flake.lock" {
            out.insert("dependency-update");
        }
        if lower == "flake.nix" {
            out.insert("flake");
        }
    }
    out.into_iter().map(String::from).collect()
}

#[cfg(test)]
mod tests {
    use super::classify;

    #[test]
    fn paths_map_to_proposal_kinds() {
        let c = classify(&[
            "modules/security/1password.nix".into(),
            "hosts/yoga/hardware.nix".into(),
        ]);
        assert_eq!(c, ["hardware", "host-configuration", "security-model"]);
        assert_eq!(
            classify(&["modules/desktop/niri.nix".into()]),
            ["module-interface"]
        );
        assert_eq!(classify(&["flake.lock".into()]), ["dependency-update"]);
    }
}
