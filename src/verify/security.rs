//! The security-relevant facts of a host's evaluated configuration, their
//! difference between two revisions, and the judgement of each difference
//! (tightened, loosened or changed). Evaluation is one `nix eval --json`
//! expression per side ([`FACTS_APPLY`]); everything else here is pure.
//!
//! An attribute a host does not have comes back as `null` (absent), never
//! as an error: a configuration without `services.openssh` simply has no
//! openssh facts.
use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// The Nix function (of one host's configuration `c`) that returns the facts
/// as JSON-able values, each wrapped so that a throwing or missing attribute
/// becomes `null`. Field names match [`Facts`].
pub const FACTS_FN: &str = r#"c:
let
  t = v: let r = builtins.tryEval (builtins.deepSeq v v); in if r.success then r.value else null;
  isA = builtins.isAttrs;
  cfg = c.config;
  ports = f: {
    tcp = t (f.allowedTCPPorts or null);
    udp = t (f.allowedUDPPorts or null);
    tcp_ranges = t (f.allowedTCPPortRanges or null);
    udp_ranges = t (f.allowedUDPPortRanges or null);
  };
  fw = t (if isA (cfg.networking.firewall or null) then true else null);
  f = cfg.networking.firewall;
  svc = let s = builtins.tryEval (cfg.services or null); in if s.success && isA s.value then s.value else null;
  ssh = if svc != null && isA (svc.openssh or null) then svc.openssh else null;
  st = if ssh != null && isA (ssh.settings or null) then ssh.settings else { };
  yn = v: if builtins.isBool v then (if v then "yes" else "no") else v;
  users = let us = builtins.tryEval (cfg.users.users or null); in
    if us.success && isA us.value then builtins.mapAttrs (n: u: t {
      uid = u.uid or null;
      normal = u.isNormalUser or null;
      groups = (if builtins.isString (u.group or null) && u.group != "" then [ u.group ] else [ ]) ++ (u.extraGroups or [ ]);
      shell = let s = u.shell or null; in
        if s == null then null else if isA s then (s.pname or s.name or "derivation") else toString s;
      keys = builtins.length (u.openssh.authorizedKeys.keys or [ ]) + builtins.length (u.openssh.authorizedKeys.keyFiles or [ ]);
    }) us.value else null;
in
{
  firewall = if fw == null then null else {
    enable = t (f.enable or null);
    global = t (ports f);
    interfaces = t (if isA (f.interfaces or null) then builtins.mapAttrs (n: i: ports i) f.interfaces else null);
    trusted_interfaces = t (f.trustedInterfaces or null);
  };
  open_firewall = if svc == null then null else t (builtins.filter
    (n: let r = builtins.tryEval (isA svc.${n} && (svc.${n}.openFirewall or false) == true); in r.success && r.value)
    (builtins.attrNames svc));
  openssh = if ssh == null then null else {
    enable = t (ssh.enable or null);
    ports = t (ssh.ports or null);
    permit_root_login = t (yn (st.PermitRootLogin or ssh.permitRootLogin or null));
    password_authentication = t (st.PasswordAuthentication or ssh.passwordAuthentication or null);
    kbd_interactive_authentication = t (st.KbdInteractiveAuthentication or ssh.kbdInteractiveAuthentication or null);
  };
  inherit users;
  sudo = if isA (cfg.security.sudo or null) then {
    enable = t (cfg.security.sudo.enable or null);
    wheel_needs_password = t (cfg.security.sudo.wheelNeedsPassword or null);
  } else null;
  polkit = t (cfg.security.polkit.enable or null);
  apparmor = t (cfg.security.apparmor.enable or null);
  lock_kernel_modules = t (cfg.security.lockKernelModules or null);
  kernel_params = t (cfg.boot.kernelParams or null);
}"#;

/// The `--apply` function over `nixosConfigurations` that evaluates, for each
/// of `hosts` (quoted attribute names) present, its facts and (when
/// `with_drv`) its toplevel drvPath, in one evaluator. A host whose facts or
/// drvPath throw gets `null` there; a host missing from the flake is left
/// out of the result.
pub fn facts_apply(kind: crate::nix::HostKind, quoted_hosts: &[String], with_drv: bool) -> String {
    let drv = if with_drv {
        let top = kind.toplevel_expr("c");
        format!(
            "drv = let r = builtins.tryEval {top}.drvPath; in if r.success then r.value else null; system = let r = builtins.tryEval ({top}.system or null); in if r.success then r.value else null;"
        )
    } else {
        String::new()
    };
    format!(
        "cs: let facts = {FACTS_FN}; wanted = builtins.filter (n: cs ? ${{n}}) [ {} ]; in builtins.listToAttrs (map (n: let c = cs.${{n}}; in {{ name = n; value = {{ {drv} facts = let r = builtins.tryEval (builtins.deepSeq (facts c) (facts c)); in if r.success then r.value else null; }}; }}) wanted)",
        quoted_hosts.join(" ")
    )
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Range {
    pub from: u64,
    pub to: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Ports {
    pub tcp: Option<Vec<u64>>,
    pub udp: Option<Vec<u64>>,
    pub tcp_ranges: Option<Vec<Range>>,
    pub udp_ranges: Option<Vec<Range>>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Firewall {
    pub enable: Option<bool>,
    pub global: Option<Ports>,
    pub interfaces: Option<BTreeMap<String, Ports>>,
    pub trusted_interfaces: Option<Vec<String>>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Openssh {
    pub enable: Option<bool>,
    pub ports: Option<Vec<u64>>,
    pub permit_root_login: Option<String>,
    pub password_authentication: Option<bool>,
    pub kbd_interactive_authentication: Option<bool>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct User {
    pub uid: Option<u64>,
    pub normal: Option<bool>,
    pub groups: Option<Vec<String>>,
    pub shell: Option<String>,
    pub keys: Option<u64>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Sudo {
    pub enable: Option<bool>,
    pub wheel_needs_password: Option<bool>,
}

/// What one host's configuration says about its security, at one revision.
/// Every field is `None` when the configuration does not have it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Facts {
    pub firewall: Option<Firewall>,
    pub open_firewall: Option<Vec<String>>,
    pub openssh: Option<Openssh>,
    /// User name -> facts (`None`: that user's attributes threw).
    pub users: Option<BTreeMap<String, Option<User>>>,
    pub sudo: Option<Sudo>,
    pub polkit: Option<bool>,
    pub apparmor: Option<bool>,
    pub lock_kernel_modules: Option<bool>,
    pub kernel_params: Option<Vec<String>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Judgement {
    /// Wider access: a port opened, password login enabled, a user in wheel.
    Loosened,
    /// Neither clearly wider nor narrower (or one side absent).
    Changed,
    /// Narrower access.
    Tightened,
}

impl Judgement {
    pub fn as_str(self) -> &'static str {
        match self {
            Judgement::Loosened => "loosened",
            Judgement::Changed => "changed",
            Judgement::Tightened => "tightened",
        }
    }
}

/// One difference between base and head, judged.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    /// The NixOS option, e.g. `networking.firewall.allowedTCPPorts`.
    pub attribute: String,
    pub judgement: Judgement,
    /// One sentence, e.g. `TCP port 8080 opened`.
    pub message: String,
    /// The values at base and head (null: absent).
    pub base: Value,
    pub head: Value,
}

/// Groups whose members gain administrative power on a NixOS host.
const PRIVILEGED_GROUPS: &[&str] = &[
    "wheel",
    "root",
    "sudo",
    "admin",
    "docker",
    "podman",
    "lxd",
    "libvirtd",
    "kvm",
    "disk",
    "systemd-journal",
    "networkmanager",
    "adbusers",
];

/// Kernel parameters that switch a protection off.
const LOOSE_KERNEL_PARAMS: &[&str] = &[
    "mitigations=off",
    "nopti",
    "nokaslr",
    "nosmap",
    "nosmep",
    "apparmor=0",
    "selinux=0",
    "security=none",
    "lockdown=none",
    "module.sig_enforce=0",
    "init_on_free=0",
    "init_on_alloc=0",
    "slab_nomerge=0",
];

struct Out(Vec<Finding>);

impl Out {
    fn push(
        &mut self,
        attribute: impl Into<String>,
        judgement: Judgement,
        message: impl Into<String>,
        base: impl Serialize,
        head: impl Serialize,
    ) {
        self.0.push(Finding {
            attribute: attribute.into(),
            judgement,
            message: message.into(),
            base: serde_json::to_value(base).unwrap_or(Value::Null),
            head: serde_json::to_value(head).unwrap_or(Value::Null),
        });
    }

    /// A value present on one side only: changed (absent is not a judgement).
    fn presence<T: Serialize + PartialEq>(
        &mut self,
        attribute: &str,
        base: &Option<T>,
        head: &Option<T>,
    ) -> bool {
        match (base, head) {
            (Some(_), Some(_)) => true,
            (None, None) => false,
            (b, h) => {
                let what = if b.is_none() { "now set" } else { "now absent" };
                self.push(
                    attribute,
                    Judgement::Changed,
                    format!("{attribute} {what}"),
                    b,
                    h,
                );
                false
            }
        }
    }

    /// A switch where `true` is the looser value (`loose_when_true`) or the tighter one.
    fn switch(
        &mut self,
        attribute: &str,
        base: Option<bool>,
        head: Option<bool>,
        loose_when_true: bool,
    ) {
        if base == head || !self.presence(attribute, &base, &head) {
            return;
        }
        let now = head.unwrap_or(false);
        let judgement = if now == loose_when_true {
            Judgement::Loosened
        } else {
            Judgement::Tightened
        };
        let verb = if now { "enabled" } else { "disabled" };
        self.push(
            attribute,
            judgement,
            format!("{attribute} {verb}"),
            base,
            head,
        );
    }

    /// Members added (loosened when `added_loosens`) and removed.
    fn members<T: Ord + Clone + Serialize + std::fmt::Display>(
        &mut self,
        attribute: &str,
        base: &Option<Vec<T>>,
        head: &Option<Vec<T>>,
        what: &str,
        added_loosens: bool,
    ) {
        if base == head || !self.presence(attribute, base, head) {
            return;
        }
        let b: BTreeSet<T> = base.iter().flatten().cloned().collect();
        let h: BTreeSet<T> = head.iter().flatten().cloned().collect();
        let (open, close) = if added_loosens {
            (Judgement::Loosened, Judgement::Tightened)
        } else {
            (Judgement::Tightened, Judgement::Loosened)
        };
        for x in h.difference(&b) {
            self.push(
                attribute,
                open,
                format!("{what} {x} added"),
                Value::Null,
                x.clone(),
            );
        }
        for x in b.difference(&h) {
            self.push(
                attribute,
                close,
                format!("{what} {x} removed"),
                x.clone(),
                Value::Null,
            );
        }
    }

    fn ports(&mut self, prefix: &str, base: &Option<Ports>, head: &Option<Ports>, scope: &str) {
        if base == head || !self.presence(prefix, base, head) {
            return;
        }
        // Inside a firewall both sides have, a missing list is an empty one.
        let filled = |p: &Option<Ports>| {
            let p = p.clone().unwrap_or_default();
            Ports {
                tcp: Some(p.tcp.unwrap_or_default()),
                udp: Some(p.udp.unwrap_or_default()),
                tcp_ranges: Some(p.tcp_ranges.unwrap_or_default()),
                udp_ranges: Some(p.udp_ranges.unwrap_or_default()),
            }
        };
        let (b, h) = (filled(base), filled(head));
        for (key, proto, bp, hp) in [
            ("allowedTCPPorts", "TCP", &b.tcp, &h.tcp),
            ("allowedUDPPorts", "UDP", &b.udp, &h.udp),
        ] {
            self.port_list(&format!("{prefix}.{key}"), bp, hp, proto, scope);
        }
        for (key, proto, br, hr) in [
            ("allowedTCPPortRanges", "TCP", &b.tcp_ranges, &h.tcp_ranges),
            ("allowedUDPPortRanges", "UDP", &b.udp_ranges, &h.udp_ranges),
        ] {
            let show = |r: &Option<Vec<Range>>| {
                r.as_ref().map(|v| {
                    v.iter()
                        .map(|r| format!("{}-{}", r.from, r.to))
                        .collect::<Vec<_>>()
                })
            };
            self.members(
                &format!("{prefix}.{key}"),
                &show(br),
                &show(hr),
                &format!("{proto} port range{scope}"),
                true,
            );
        }
    }

    fn port_list(
        &mut self,
        attribute: &str,
        base: &Option<Vec<u64>>,
        head: &Option<Vec<u64>>,
        proto: &str,
        scope: &str,
    ) {
        if base == head || !self.presence(attribute, base, head) {
            return;
        }
        let b: BTreeSet<u64> = base.iter().flatten().copied().collect();
        let h: BTreeSet<u64> = head.iter().flatten().copied().collect();
        for p in h.difference(&b) {
            self.push(
                attribute,
                Judgement::Loosened,
                format!("{proto} port {p} opened{scope}"),
                Value::Null,
                p,
            );
        }
        for p in b.difference(&h) {
            self.push(
                attribute,
                Judgement::Tightened,
                format!("{proto} port {p} closed{scope}"),
                p,
                Value::Null,
            );
        }
    }
}

/// How far `PermitRootLogin` lets root in (higher: looser).
fn root_login_rank(v: &str) -> u8 {
    match v {
        "no" => 0,
        "forced-commands-only" => 1,
        "prohibit-password" | "without-password" => 2,
        _ => 3,
    }
}

fn privileged(group: &str) -> bool {
    PRIVILEGED_GROUPS.contains(&group)
}

fn nologin(shell: &Option<String>) -> bool {
    shell
        .as_deref()
        .is_some_and(|s| s.ends_with("nologin") || s.ends_with("/false"))
}

fn user_diff(out: &mut Out, name: &str, base: &Option<User>, head: &Option<User>) {
    let attr = format!("users.users.{name}");
    let (b, h) = (
        base.clone().unwrap_or_default(),
        head.clone().unwrap_or_default(),
    );
    if b.uid != h.uid && out.presence(&format!("{attr}.uid"), &b.uid, &h.uid) {
        out.push(
            format!("{attr}.uid"),
            Judgement::Changed,
            format!("user {name}: uid changed"),
            b.uid,
            h.uid,
        );
    }
    if b.groups != h.groups {
        let bg: BTreeSet<String> = b.groups.iter().flatten().cloned().collect();
        let hg: BTreeSet<String> = h.groups.iter().flatten().cloned().collect();
        for g in hg.difference(&bg) {
            let j = if privileged(g) {
                Judgement::Loosened
            } else {
                Judgement::Changed
            };
            out.push(
                format!("{attr}.extraGroups"),
                j,
                format!("user {name} added to group {g}"),
                Value::Null,
                g,
            );
        }
        for g in bg.difference(&hg) {
            let j = if privileged(g) {
                Judgement::Tightened
            } else {
                Judgement::Changed
            };
            out.push(
                format!("{attr}.extraGroups"),
                j,
                format!("user {name} removed from group {g}"),
                g,
                Value::Null,
            );
        }
    }
    if b.shell != h.shell {
        let j = match (nologin(&b.shell), nologin(&h.shell)) {
            (true, false) => Judgement::Loosened,
            (false, true) => Judgement::Tightened,
            _ => Judgement::Changed,
        };
        out.push(
            format!("{attr}.shell"),
            j,
            format!("user {name}: shell changed"),
            &b.shell,
            &h.shell,
        );
    }
    if b.keys != h.keys {
        let j = match (b.keys, h.keys) {
            (Some(x), Some(y)) if y > x => Judgement::Loosened,
            (Some(_), Some(_)) => Judgement::Tightened,
            (None, Some(y)) if y > 0 => Judgement::Loosened,
            _ => Judgement::Changed,
        };
        out.push(
            format!("{attr}.openssh.authorizedKeys"),
            j,
            format!("user {name}: number of authorized SSH keys changed"),
            b.keys,
            h.keys,
        );
    }
}

/// Every difference between `base` and `head`, judged; loosenings first.
pub fn diff(base: &Facts, head: &Facts) -> Vec<Finding> {
    let mut out = Out(Vec::new());
    // Firewall.
    let fw = "networking.firewall";
    if base.firewall != head.firewall && out.presence(fw, &base.firewall, &head.firewall) {
        let (b, h) = (
            base.firewall.clone().unwrap_or_default(),
            head.firewall.clone().unwrap_or_default(),
        );
        out.switch(&format!("{fw}.enable"), b.enable, h.enable, false);
        out.ports(fw, &b.global, &h.global, "");
        if b.interfaces != h.interfaces {
            let bi = b.interfaces.clone().unwrap_or_default();
            let hi = h.interfaces.clone().unwrap_or_default();
            let names: BTreeSet<&String> = bi.keys().chain(hi.keys()).collect();
            for n in names {
                let (x, y) = (bi.get(n).cloned(), hi.get(n).cloned());
                // An interface entry with no ports is the same as none.
                let x = x.or_else(|| y.as_ref().map(|_| Ports::default()));
                let y = y.or_else(|| x.as_ref().map(|_| Ports::default()));
                out.ports(
                    &format!("{fw}.interfaces.{n}"),
                    &x,
                    &y,
                    &format!(" on interface {n}"),
                );
            }
        }
        out.members(
            &format!("{fw}.trustedInterfaces"),
            &b.trusted_interfaces,
            &h.trusted_interfaces,
            "trusted interface",
            true,
        );
    }
    out.members(
        "services.*.openFirewall",
        &base.open_firewall,
        &head.open_firewall,
        "service opening the firewall:",
        true,
    );
    // OpenSSH.
    let ssh = "services.openssh";
    if base.openssh != head.openssh && out.presence(ssh, &base.openssh, &head.openssh) {
        let (b, h) = (
            base.openssh.clone().unwrap_or_default(),
            head.openssh.clone().unwrap_or_default(),
        );
        out.switch(&format!("{ssh}.enable"), b.enable, h.enable, true);
        out.members(
            &format!("{ssh}.ports"),
            &b.ports,
            &h.ports,
            "SSH port",
            true,
        );
        let prl = format!("{ssh}.settings.PermitRootLogin");
        if b.permit_root_login != h.permit_root_login
            && out.presence(&prl, &b.permit_root_login, &h.permit_root_login)
        {
            let (x, y) = (
                b.permit_root_login.clone().unwrap_or_default(),
                h.permit_root_login.clone().unwrap_or_default(),
            );
            let j = match root_login_rank(&y).cmp(&root_login_rank(&x)) {
                std::cmp::Ordering::Greater => Judgement::Loosened,
                std::cmp::Ordering::Less => Judgement::Tightened,
                std::cmp::Ordering::Equal => Judgement::Changed,
            };
            out.push(
                &prl,
                j,
                format!("PermitRootLogin {x} -> {y}"),
                &b.permit_root_login,
                &h.permit_root_login,
            );
        }
        out.switch(
            &format!("{ssh}.settings.PasswordAuthentication"),
            b.password_authentication,
            h.password_authentication,
            true,
        );
        out.switch(
            &format!("{ssh}.settings.KbdInteractiveAuthentication"),
            b.kbd_interactive_authentication,
            h.kbd_interactive_authentication,
            true,
        );
    }
    // Users.
    if base.users != head.users && out.presence("users.users", &base.users, &head.users) {
        let bu = base.users.clone().unwrap_or_default();
        let hu = head.users.clone().unwrap_or_default();
        let names: BTreeSet<&String> = bu.keys().chain(hu.keys()).collect();
        for n in names {
            match (bu.get(n), hu.get(n)) {
                (Some(x), Some(y)) if x != y => user_diff(&mut out, n, x, y),
                (Some(_), Some(_)) => {}
                (None, Some(y)) => {
                    let u = y.clone().unwrap_or_default();
                    let groups = u.groups.clone().unwrap_or_default();
                    let j = if groups.iter().any(|g| privileged(g)) || u.keys.unwrap_or(0) > 0 {
                        Judgement::Loosened
                    } else {
                        Judgement::Changed
                    };
                    out.push(
                        format!("users.users.{n}"),
                        j,
                        format!("user {n} added (groups: {})", groups.join(", ")),
                        Value::Null,
                        y,
                    );
                }
                (Some(x), None) => out.push(
                    format!("users.users.{n}"),
                    Judgement::Tightened,
                    format!("user {n} removed"),
                    x,
                    Value::Null,
                ),
                (None, None) => {}
            }
        }
    }
    // sudo and the security switches.
    if base.sudo != head.sudo && out.presence("security.sudo", &base.sudo, &head.sudo) {
        let (b, h) = (
            base.sudo.clone().unwrap_or_default(),
            head.sudo.clone().unwrap_or_default(),
        );
        out.switch("security.sudo.enable", b.enable, h.enable, true);
        out.switch(
            "security.sudo.wheelNeedsPassword",
            b.wheel_needs_password,
            h.wheel_needs_password,
            false,
        );
    }
    out.switch("security.polkit.enable", base.polkit, head.polkit, true);
    out.switch(
        "security.apparmor.enable",
        base.apparmor,
        head.apparmor,
        false,
    );
    out.switch(
        "security.lockKernelModules",
        base.lock_kernel_modules,
        head.lock_kernel_modules,
        false,
    );
    // Kernel parameters.
    let kp = "boot.kernelParams";
    if base.kernel_params != head.kernel_params
        && out.presence(kp, &base.kernel_params, &head.kernel_params)
    {
        let b: BTreeSet<&String> = base.kernel_params.iter().flatten().collect();
        let h: BTreeSet<&String> = head.kernel_params.iter().flatten().collect();
        let loose = |p: &str| LOOSE_KERNEL_PARAMS.contains(&p);
        for p in h.difference(&b) {
            let j = if loose(p) {
                Judgement::Loosened
            } else {
                Judgement::Changed
            };
            out.push(kp, j, format!("kernel parameter {p} added"), Value::Null, p);
        }
        for p in b.difference(&h) {
            let j = if loose(p) {
                Judgement::Tightened
            } else {
                Judgement::Changed
            };
            out.push(
                kp,
                j,
                format!("kernel parameter {p} removed"),
                p,
                Value::Null,
            );
        }
    }
    let mut found = out.0;
    found.sort_by_key(|f| f.judgement);
    found
}

/// The judgement of a host that did not exist at the base: its facts against
/// a host that is not there, which exposes nothing. Every port or service it
/// opens, an enabled OpenSSH server and its password or root login, a user
/// in a privileged group or with authorized keys, sudo without a password
/// and a loosening kernel parameter are loosenings; protections it lacks
/// (AppArmor, locked kernel modules) and system users are not findings,
/// since nothing was taken away.
pub fn diff_added(head: &Facts) -> Vec<Finding> {
    let closed = |p: &Option<Ports>| {
        p.as_ref().map(|_| Ports {
            tcp: Some(Vec::new()),
            udp: Some(Vec::new()),
            tcp_ranges: Some(Vec::new()),
            udp_ranges: Some(Vec::new()),
        })
    };
    let base = Facts {
        firewall: head.firewall.as_ref().map(|f| Firewall {
            enable: f.enable.map(|_| true),
            global: closed(&f.global),
            interfaces: f.interfaces.as_ref().map(|_| BTreeMap::new()),
            trusted_interfaces: f.trusted_interfaces.as_ref().map(|_| Vec::new()),
        }),
        open_firewall: head.open_firewall.as_ref().map(|_| Vec::new()),
        openssh: head.openssh.as_ref().map(|o| {
            if o.enable != Some(true) {
                // A server that does not run exposes none of its settings.
                return o.clone();
            }
            let safe_root = o.permit_root_login.as_ref().map(|v| {
                if root_login_rank(v) <= 2 {
                    v.clone()
                } else {
                    "prohibit-password".into()
                }
            });
            Openssh {
                enable: Some(false),
                ports: o.ports.clone(),
                permit_root_login: safe_root,
                password_authentication: o.password_authentication.map(|_| false),
                kbd_interactive_authentication: o.kbd_interactive_authentication.map(|_| false),
            }
        }),
        users: head.users.as_ref().map(|us| {
            us.iter()
                .filter_map(|(n, u)| {
                    let x = u.clone().unwrap_or_default();
                    let groups = x.groups.clone().unwrap_or_default();
                    let exposed = x.keys.unwrap_or(0) > 0
                        || x.normal == Some(true)
                        || groups
                            .iter()
                            .any(|g| privileged(g) && !(n == "root" && g == "root"));
                    if n == "root" {
                        // root always exists; its keys and groups are what count.
                        let mut r = x.clone();
                        r.keys = x.keys.map(|_| 0);
                        r.groups = x
                            .groups
                            .as_ref()
                            .map(|g| g.iter().filter(|g| *g == "root").cloned().collect());
                        return Some((n.clone(), Some(r)));
                    }
                    (!exposed).then(|| (n.clone(), u.clone()))
                })
                .collect()
        }),
        sudo: head.sudo.as_ref().map(|s| Sudo {
            enable: s.enable,
            wheel_needs_password: s.wheel_needs_password.map(|_| true),
        }),
        polkit: head.polkit,
        apparmor: head.apparmor,
        lock_kernel_modules: head.lock_kernel_modules,
        kernel_params: head.kernel_params.as_ref().map(|ps| {
            ps.iter()
                .filter(|p| !LOOSE_KERNEL_PARAMS.contains(&p.as_str()))
                .cloned()
                .collect()
        }),
    };
    diff(&base, head)
}

/// The per-host `security` object of a report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SecurityDiff {
    /// `present`, `absent` (the host does not exist there) or `error`.
    pub base: &'static str,
    pub head: &'static str,
    pub base_error: Option<String>,
    pub head_error: Option<String>,
    /// Loosenings first.
    pub changes: Vec<Finding>,
    pub loosened: usize,
}

impl SecurityDiff {
    pub fn of(changes: Vec<Finding>) -> SecurityDiff {
        let loosened = changes
            .iter()
            .filter(|c| c.judgement == Judgement::Loosened)
            .count();
        SecurityDiff {
            base: "present",
            head: "present",
            base_error: None,
            head_error: None,
            changes,
            loosened,
        }
    }

    /// A host that is new at the head, judged against its absence ([`diff_added`]).
    pub fn added(changes: Vec<Finding>) -> SecurityDiff {
        SecurityDiff {
            base: "absent",
            ..SecurityDiff::of(changes)
        }
    }

    /// True when both sides were judged: both present, or a host added at the head.
    pub fn compared(&self) -> bool {
        self.head == "present" && (self.base == "present" || self.base == "absent")
    }

    /// One side could not be compared: no changes, the reason kept.
    pub fn incomplete(base: Result<(), Option<String>>, head: Result<(), Option<String>>) -> Self {
        let side = |r: &Result<(), Option<String>>| match r {
            Ok(()) => "present",
            Err(None) => "absent",
            Err(Some(_)) => "error",
        };
        let err = |r: &Result<(), Option<String>>| r.clone().err().flatten();
        SecurityDiff {
            base: side(&base),
            head: side(&head),
            base_error: err(&base),
            head_error: err(&head),
            changes: Vec::new(),
            loosened: 0,
        }
    }

    pub fn to_json(&self) -> Value {
        json!(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(v: Value) -> Facts {
        serde_json::from_value(v).unwrap()
    }

    fn base() -> Facts {
        facts(json!({
            "firewall": {"enable": true, "global": {"tcp": [22], "udp": [], "tcp_ranges": [], "udp_ranges": []},
                         "interfaces": {}, "trusted_interfaces": []},
            "open_firewall": [],
            "openssh": {"enable": true, "ports": [22], "permit_root_login": "no",
                        "password_authentication": false, "kbd_interactive_authentication": false},
            "users": {"alice": {"uid": 1000, "normal": true, "groups": ["users"], "shell": "bash", "keys": 1}},
            "sudo": {"enable": true, "wheel_needs_password": true},
            "polkit": false, "apparmor": true, "lock_kernel_modules": true,
            "kernel_params": ["quiet"]
        }))
    }

    fn only(found: &[Finding]) -> &Finding {
        assert_eq!(found.len(), 1, "{found:#?}");
        &found[0]
    }

    #[test]
    fn the_same_facts_have_no_findings() {
        assert!(diff(&base(), &base()).is_empty());
        assert!(diff(&Facts::default(), &Facts::default()).is_empty());
    }

    #[test]
    fn opening_and_closing_ports() {
        let mut h = base();
        h.firewall.as_mut().unwrap().global.as_mut().unwrap().tcp = Some(vec![22, 8080]);
        let f = diff(&base(), &h);
        let f = only(&f);
        assert_eq!(f.judgement, Judgement::Loosened);
        assert_eq!(f.attribute, "networking.firewall.allowedTCPPorts");
        assert_eq!(f.message, "TCP port 8080 opened");
        assert_eq!(f.head, json!(8080));
        let back = diff(&h, &base());
        assert_eq!(only(&back).judgement, Judgement::Tightened);
        assert_eq!(only(&back).message, "TCP port 8080 closed");
    }

    #[test]
    fn ports_per_interface_and_ranges() {
        let mut h = base();
        let fw = h.firewall.as_mut().unwrap();
        fw.interfaces = Some(BTreeMap::from([(
            "wg0".to_string(),
            Ports {
                udp: Some(vec![51820]),
                ..Ports::default()
            },
        )]));
        fw.global.as_mut().unwrap().tcp_ranges = Some(vec![Range {
            from: 1714,
            to: 1764,
        }]);
        let found = diff(&base(), &h);
        let msgs: Vec<&str> = found.iter().map(|f| f.message.as_str()).collect();
        assert_eq!(
            msgs,
            [
                "TCP port range 1714-1764 added",
                "UDP port 51820 opened on interface wg0"
            ]
        );
        assert!(found.iter().all(|f| f.judgement == Judgement::Loosened));
    }

    #[test]
    fn password_login_wheel_and_firewall_off_loosen() {
        let mut h = base();
        h.openssh.as_mut().unwrap().password_authentication = Some(true);
        assert_eq!(only(&diff(&base(), &h)).judgement, Judgement::Loosened);

        let mut h = base();
        let alice = h.users.as_mut().unwrap().get_mut("alice").unwrap();
        alice.as_mut().unwrap().groups = Some(vec!["users".into(), "wheel".into()]);
        let f = diff(&base(), &h);
        assert_eq!(only(&f).judgement, Judgement::Loosened);
        assert_eq!(only(&f).message, "user alice added to group wheel");

        let mut h = base();
        h.firewall.as_mut().unwrap().enable = Some(false);
        let f = diff(&base(), &h);
        assert_eq!(only(&f).judgement, Judgement::Loosened);
        assert_eq!(only(&f).message, "networking.firewall.enable disabled");

        let mut h = base();
        h.openssh.as_mut().unwrap().permit_root_login = Some("yes".into());
        assert_eq!(only(&diff(&base(), &h)).judgement, Judgement::Loosened);
        let mut h = base();
        h.sudo.as_mut().unwrap().wheel_needs_password = Some(false);
        assert_eq!(only(&diff(&base(), &h)).judgement, Judgement::Loosened);
        let mut h = base();
        h.kernel_params = Some(vec!["quiet".into(), "mitigations=off".into()]);
        assert_eq!(only(&diff(&base(), &h)).judgement, Judgement::Loosened);
        let mut h = base();
        h.kernel_params = Some(vec!["quiet".into(), "splash".into()]);
        assert_eq!(only(&diff(&base(), &h)).judgement, Judgement::Changed);
    }

    #[test]
    fn absent_attributes_are_changes_not_errors_and_loosenings_come_first() {
        let mut h = base();
        h.openssh = None;
        h.firewall.as_mut().unwrap().global.as_mut().unwrap().udp = Some(vec![53]);
        let f = diff(&base(), &h);
        assert_eq!(f.len(), 2, "{f:#?}");
        assert_eq!(f[0].judgement, Judgement::Loosened);
        assert_eq!(f[1].judgement, Judgement::Changed);
        assert_eq!(f[1].message, "services.openssh now absent");
        assert_eq!(f[1].head, Value::Null);
    }

    #[test]
    fn new_users_in_wheel_loosen_and_removed_users_tighten() {
        let mut h = base();
        h.users.as_mut().unwrap().insert(
            "bob".into(),
            Some(User {
                groups: Some(vec!["wheel".into()]),
                ..User::default()
            }),
        );
        assert_eq!(only(&diff(&base(), &h)).judgement, Judgement::Loosened);
        assert_eq!(only(&diff(&h, &base())).judgement, Judgement::Tightened);
    }

    #[test]
    fn the_apply_function_names_every_host() {
        use crate::nix::HostKind;
        let a = facts_apply(HostKind::Nixos, &["\"a\"".into(), "\"b\"".into()], true);
        assert!(a.contains("[ \"a\" \"b\" ]"), "{a}");
        assert!(a.contains("drvPath"));
        assert!(!facts_apply(HostKind::Nixos, &["\"a\"".into()], false).contains("drvPath"));
        let d = facts_apply(HostKind::Darwin, &["\"mac.local\"".into()], true);
        assert!(
            d.contains("c.config.system.build.toplevel or c.system"),
            "{d}"
        );
    }

    #[test]
    fn an_added_host_is_judged_against_nothing() {
        let mut h = base();
        // What a new host exposes loosens; the same settings without exposure do not.
        let found = diff_added(&h);
        let msgs: Vec<(&str, &str)> = found
            .iter()
            .map(|f| (f.judgement.as_str(), f.message.as_str()))
            .collect();
        assert_eq!(
            msgs,
            [
                ("loosened", "TCP port 22 opened"),
                ("loosened", "services.openssh.enable enabled"),
                ("loosened", "user alice added (groups: users)"),
            ],
            "{found:#?}"
        );
        h.openssh.as_mut().unwrap().password_authentication = Some(true);
        h.openssh.as_mut().unwrap().permit_root_login = Some("yes".into());
        h.firewall.as_mut().unwrap().enable = Some(false);
        h.sudo.as_mut().unwrap().wheel_needs_password = Some(false);
        h.kernel_params = Some(vec!["quiet".into(), "mitigations=off".into()]);
        h.users.as_mut().unwrap().insert(
            "nobody".into(),
            Some(User {
                uid: Some(65534),
                groups: Some(vec!["nogroup".into()]),
                ..User::default()
            }),
        );
        let found = diff_added(&h);
        assert!(
            found.iter().all(|f| f.judgement == Judgement::Loosened),
            "{found:#?}"
        );
        let msgs: Vec<&str> = found.iter().map(|f| f.message.as_str()).collect();
        for m in [
            "networking.firewall.enable disabled",
            "PermitRootLogin prohibit-password -> yes",
            "services.openssh.settings.PasswordAuthentication enabled",
            "security.sudo.wheelNeedsPassword disabled",
            "kernel parameter mitigations=off added",
        ] {
            assert!(msgs.contains(&m), "{m}: {msgs:#?}");
        }
        assert!(!msgs.iter().any(|m| m.contains("nobody")), "{msgs:#?}");
        // A host exposing nothing has no finding.
        let quiet = Facts {
            openssh: Some(Openssh {
                enable: Some(false),
                password_authentication: Some(true),
                ..Openssh::default()
            }),
            apparmor: Some(false),
            ..Facts::default()
        };
        assert!(diff_added(&quiet).is_empty(), "{:#?}", diff_added(&quiet));
    }
}
