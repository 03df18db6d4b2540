//! A generated flake shaped like pantherOS, scaled up: H hosts (most declared
//! literally, every fourth through a `mkHost` helper in lib/), each importing
//! the whole module tree plus its own default/hardware/disko/facter files;
//! modules/ aggregated by `default.nix` files folder by folder, gated with
//! `mkEnableOption`/`mkIf`, some reading data files (`readFile`,
//! `importJSON`), some building a `callPackage` folder with `src = ./.`, one
//! sub-folder per category auto-imported through `readDir`; a home-manager
//! user with .kdl files; checks and devShells from files no host uses; and
//! unreachable broken files, as in the real repository.
#![allow(dead_code)] // shared by two benches that use different parts

use std::fmt::Write as _;
use std::path::Path;

/// Leaf modules per sub-folder, sub-folders per category.
const LEAVES_PER_GROUP: usize = 50;
const GROUPS_PER_CATEGORY: usize = 10;

pub struct Spec {
    pub hosts: usize,
    /// Files under modules/ (leaves, aggregators, data, package folders).
    pub module_files: usize,
}

#[derive(Debug, Default, Clone)]
pub struct Generated {
    pub files: usize,
    pub nix_files: usize,
    pub bytes: u64,
    pub module_files: usize,
    pub leaf_modules: usize,
}

struct Writer<'a> {
    root: &'a Path,
    out: Generated,
}

impl Writer<'_> {
    fn write(&mut self, rel: &str, text: &str) -> std::io::Result<()> {
        let path = self.root.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&path, text)?;
        self.out.files += 1;
        self.out.bytes += text.len() as u64;
        if rel.ends_with(".nix") {
            self.out.nix_files += 1;
        }
        if rel.starts_with("modules/") {
            self.out.module_files += 1;
        }
        Ok(())
    }
}

pub fn host_name(i: usize) -> String {
    format!("host-{i:04}")
}

/// A leaf module's option path and folder, from its index.
struct Leaf {
    category: usize,
    group: usize,
    index: usize,
}

impl Leaf {
    fn dir(&self) -> String {
        format!("{}/g{:02}", category_dir(self.category), self.group)
    }
    fn name(&self) -> String {
        format!("m{:05}", self.index)
    }
    fn option(&self) -> String {
        format!(
            "bench.c{:03}.g{:02}.{}",
            self.category,
            self.group,
            self.name()
        )
    }
}

fn category_dir(c: usize) -> String {
    if c == 0 {
        "modules/security".to_string()
    } else {
        format!("modules/c{c:03}")
    }
}

fn leaf_text(leaf: &Leaf, data: Option<&str>, json: bool, package: bool) -> String {
    let name = leaf.name();
    let mut body = String::new();
    if let Some(file) = data {
        let _ = writeln!(
            body,
            "    environment.etc.\"bench/{name}.conf\".text = builtins.readFile ./{file};"
        );
    }
    if json {
        let _ = writeln!(
            body,
            "    services.bench.{name}.settings = lib.importJSON ./{name}.json;"
        );
    }
    if package {
        let _ = writeln!(
            body,
            "    environment.systemPackages = [ (pkgs.callPackage ./pkg-{name} {{ }}) ];"
        );
    }
    format!(
        "{{ config, lib, pkgs, ... }}:\nlet\n  cfg = config.{opt};\nin\n{{\n  options.{opt} = {{\n    enable = lib.mkEnableOption \"bench module {name}\";\n    port = lib.mkOption {{\n      type = lib.types.port;\n      default = {port};\n      description = \"Port of {name}.\";\n    }};\n  }};\n\n  config = lib.mkIf cfg.enable {{\n{body}    systemd.services.bench-{name} = {{\n      wantedBy = [ \"multi-user.target\" ];\n      serviceConfig.ExecStart = \"${{pkgs.coreutils}}/bin/sleep ${{toString cfg.port}}\";\n    }};\n    networking.firewall.allowedTCPPorts = [ cfg.port ];\n  }};\n}}\n",
        opt = leaf.option(),
        port = 10000 + leaf.index % 50000,
    )
}

/// Write the modules/ tree until it holds about `target` files; returns the leaves.
fn modules(w: &mut Writer, target: usize) -> std::io::Result<Vec<Leaf>> {
    let mut leaves = Vec::new();
    let mut categories = 0;
    // The fixed module the impact bench changes, in the security category.
    w.write(
        "modules/security/ssh.nix",
        "{ config, lib, ... }:\nlet\n  cfg = config.bench.security.ssh;\nin\n{\n  options.bench.security.ssh.enable = lib.mkEnableOption \"hardened sshd\";\n  config = lib.mkIf cfg.enable {\n    services.openssh.enable = true;\n    services.openssh.settings.PasswordAuthentication = false;\n    users.users.root.openssh.authorizedKeys.keyFiles = [ ./keys/admin.pub ];\n  };\n}\n",
    )?;
    w.write(
        "modules/security/keys/admin.pub",
        "ssh-ed25519 AAAAbench admin\n",
    )?;
    let mut index = 0;
    'outer: loop {
        let c = categories;
        categories += 1;
        let mut group_dirs = Vec::new();
        for g in 0..GROUPS_PER_CATEGORY {
            // Leave room for this group's and category's aggregators.
            if w.out.module_files + 3 >= target && !leaves.is_empty() {
                write_category(w, c, &group_dirs)?;
                break 'outer;
            }
            let auto = g == GROUPS_PER_CATEGORY - 1;
            let mut names = Vec::new();
            for _ in 0..LEAVES_PER_GROUP {
                if w.out.module_files + 3 >= target && !names.is_empty() {
                    break;
                }
                let leaf = Leaf {
                    category: c,
                    group: g,
                    index,
                };
                index += 1;
                let dir = leaf.dir();
                let name = leaf.name();
                let data = (leaf.index % 10 == 3).then(|| format!("{name}.conf"));
                let json = leaf.index % 25 == 7;
                let package = leaf.index % 100 == 42;
                if let Some(file) = &data {
                    w.write(
                        &format!("{dir}/{file}"),
                        &format!("# settings of {name}\nvalue={}\n", leaf.index),
                    )?;
                }
                if json {
                    w.write(
                        &format!("{dir}/{name}.json"),
                        &format!(
                            "{{ \"name\": \"{name}\", \"level\": {} }}\n",
                            leaf.index % 7
                        ),
                    )?;
                }
                if package {
                    w.write(
                        &format!("{dir}/pkg-{name}/default.nix"),
                        &format!("{{ stdenv }}:\nstdenv.mkDerivation {{\n  pname = \"bench-{name}\";\n  version = \"1.0\";\n  src = ./.;\n  installPhase = \"install -Dm755 main.sh $out/bin/bench-{name}\";\n}}\n"),
                    )?;
                    w.write(
                        &format!("{dir}/pkg-{name}/main.sh"),
                        "#!/bin/sh\necho bench\n",
                    )?;
                }
                w.write(
                    &format!("{dir}/{name}.nix"),
                    &leaf_text(&leaf, data.as_deref(), json, package),
                )?;
                names.push(name);
                leaves.push(leaf);
            }
            let dir = format!("{}/g{g:02}", category_dir(c));
            let aggregator = if auto {
                // Auto-import: every .nix file of the folder except this one.
                "{ lib, ... }:\nlet\n  entries = builtins.readDir ./.;\n  modules = builtins.filter (n: n != \"default.nix\" && lib.hasSuffix \".nix\" n) (builtins.attrNames entries);\nin\n{\n  imports = map (n: ./. + \"/${n}\") modules;\n}\n".to_string()
            } else {
                let list: String = names.iter().map(|n| format!("    ./{n}.nix\n")).collect();
                format!("{{\n  imports = [\n{list}  ];\n}}\n")
            };
            w.write(&format!("{dir}/default.nix"), &aggregator)?;
            group_dirs.push(format!("g{g:02}"));
        }
        if !group_dirs.is_empty() && group_dirs.len() == GROUPS_PER_CATEGORY {
            write_category(w, c, &group_dirs)?;
        }
    }
    let list: String = (0..categories)
        .map(|c| format!("    ./{}\n", category_dir(c).trim_start_matches("modules/")))
        .collect();
    w.write(
        "modules/default.nix",
        &format!("{{ ... }}:\n{{\n  imports = [\n{list}  ];\n}}\n"),
    )?;
    Ok(leaves)
}

fn write_category(w: &mut Writer, c: usize, groups: &[String]) -> std::io::Result<()> {
    let mut list: String = groups.iter().map(|g| format!("    ./{g}\n")).collect();
    if c == 0 {
        list.push_str("    ./ssh.nix\n");
    }
    w.write(
        &format!("{}/default.nix", category_dir(c)),
        &format!("{{\n  imports = [\n{list}  ];\n}}\n"),
    )
}

fn host_files(w: &mut Writer, i: usize, leaves: &[Leaf]) -> std::io::Result<()> {
    let name = host_name(i);
    let dir = format!("hosts/{name}");
    // A few gated modules enabled per host, in the nested and leaf forms.
    let mut enables = String::new();
    for k in 0..5 {
        if leaves.is_empty() {
            break;
        }
        let leaf = &leaves[(i * 7919 + k * 104_729) % leaves.len()];
        let _ = if k % 2 == 0 {
            writeln!(enables, "  {}.enable = true;", leaf.option())
        } else {
            writeln!(
                enables,
                "  {} = {{ enable = lib.mkDefault true; port = {}; }};",
                leaf.option(),
                20000 + k
            )
        };
    }
    let home = if i.is_multiple_of(2) {
        "  home-manager.users.u = import ../../home/u/home.nix;\n"
    } else {
        ""
    };
    let ssh = if i.is_multiple_of(3) {
        "  bench.security.ssh.enable = true;\n"
    } else {
        ""
    };
    w.write(
        &format!("{dir}/default.nix"),
        &format!("{{ config, lib, pkgs, ... }}:\n{{\n  imports = [\n    ../../modules\n    ./hardware.nix\n    ./disko.nix\n  ];\n\n  networking.hostName = \"{name}\";\n  system.stateVersion = \"25.05\";\n{ssh}{home}{enables}}}\n"),
    )?;
    w.write(
        &format!("{dir}/hardware.nix"),
        "{ config, lib, modulesPath, ... }:\n{\n  imports = [ (modulesPath + \"/profiles/qemu-guest.nix\") ];\n  disabledModules = [ \"programs/wayland/niri.nix\" ];\n  boot.initrd.availableKernelModules = [ \"virtio_pci\" \"virtio_scsi\" \"ahci\" \"sd_mod\" ];\n  boot.loader.grub.device = \"/dev/sda\";\n}\n",
    )?;
    w.write(
        &format!("{dir}/disko.nix"),
        "{\n  disko.devices.disk.main = {\n    type = \"disk\";\n    device = \"/dev/sda\";\n    content = {\n      type = \"gpt\";\n      partitions.root = { size = \"100%\"; content = { type = \"filesystem\"; format = \"ext4\"; mountpoint = \"/\"; }; };\n    };\n  };\n}\n",
    )?;
    w.write(
        &format!("{dir}/facter.json"),
        &format!("{{ \"version\": 1, \"system\": \"x86_64-linux\", \"hostname\": \"{name}\" }}\n"),
    )
}

fn flake(w: &mut Writer, hosts: usize) -> std::io::Result<()> {
    let mut entries = String::new();
    for i in 0..hosts {
        let name = host_name(i);
        if i % 4 == 3 {
            let _ = writeln!(entries, "      \"{name}\" = mkHost \"{name}\" {{ }};");
        } else {
            let _ = writeln!(
                entries,
                "      \"{name}\" = lib.nixosSystem {{\n        system = \"x86_64-linux\";\n        specialArgs = {{ inherit inputs self; }};\n        modules = [\n          disko.nixosModules.disko\n          home-manager.nixosModules.home-manager\n          ./hosts/{name}\n          {{ config.facter.reportPath = ./hosts/{name}/facter.json; }}\n          {{ nixpkgs.pkgs = pkgs; }}\n        ];\n      }};"
            );
        }
    }
    w.write(
        "flake.nix",
        &format!("{{\n  description = \"generated pantherOS-like flake for benchmarks\";\n\n  inputs = {{\n    nixpkgs.url = \"github:NixOS/nixpkgs/nixos-unstable\";\n    home-manager.url = \"github:nix-community/home-manager\";\n    home-manager.inputs.nixpkgs.follows = \"nixpkgs\";\n    disko.url = \"github:nix-community/disko\";\n    disko.inputs.nixpkgs.follows = \"nixpkgs\";\n  }};\n\n  outputs = inputs@{{ self, nixpkgs, home-manager, disko, ... }}:\n    let\n      lib = nixpkgs.lib;\n      system = \"x86_64-linux\";\n      pkgs = import nixpkgs {{ inherit system; overlays = [ (final: prev: {{ bench-tools = prev.hello; }}) ]; }};\n      mkHost = import ./lib/mk-host.nix {{ inherit inputs self; }};\n    in\n    {{\n      nixosConfigurations = {{\n{entries}      }};\n\n      checks.${{system}}.integration = import ./tests/integration/default.nix {{ inherit pkgs; }};\n      devShells.${{system}}.default = import ./shell.nix {{ inherit pkgs; }};\n    }};\n}}\n"),
    )?;
    w.write(
        "lib/mk-host.nix",
        "{ inputs, self }:\nname:\n{ darwin ? false, extraModules ? [ ] }:\ninputs.nixpkgs.lib.nixosSystem {\n  system = \"x86_64-linux\";\n  specialArgs = { inherit inputs self; };\n  modules = [\n    inputs.disko.nixosModules.disko\n    ../hosts/${name}\n    { config.facter.reportPath = ../hosts/${name}/facter.json; }\n  ] ++ extraModules;\n}\n",
    )?;
    let node = |name: &str, repo: &str| {
        format!(
            "    \"{name}\": {{\n      \"inputs\": {{}},\n      \"locked\": {{ \"lastModified\": 1700000000, \"narHash\": \"sha256-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\", \"owner\": \"bench\", \"repo\": \"{repo}\", \"rev\": \"0000000000000000000000000000000000000000\", \"type\": \"github\" }},\n      \"original\": {{ \"owner\": \"bench\", \"repo\": \"{repo}\", \"type\": \"github\" }}\n    }},\n"
        )
    };
    w.write(
        "flake.lock",
        &format!(
            "{{\n  \"nodes\": {{\n{}{}{}    \"root\": {{ \"inputs\": {{ \"disko\": \"disko\", \"home-manager\": \"home-manager\", \"nixpkgs\": \"nixpkgs\" }} }}\n  }},\n  \"root\": \"root\",\n  \"version\": 7\n}}\n",
            node("nixpkgs", "nixpkgs"),
            node("home-manager", "home-manager"),
            node("disko", "disko")
        ),
    )?;
    w.write(
        "tests/integration/default.nix",
        "{ pkgs }:\npkgs.runCommand \"integration\" { } \"touch $out\"\n",
    )?;
    w.write(
        "shell.nix",
        "{ pkgs }:\npkgs.mkShell { packages = [ pkgs.git ]; }\n",
    )?;
    w.write(
        "home/u/home.nix",
        "{ config, pkgs, ... }:\n{\n  home.stateVersion = \"25.05\";\n  xdg.configFile.\"niri/config.kdl\".source = ./niri.kdl;\n  xdg.configFile.\"zed/keymap.kdl\".source = ./keymap.kdl;\n}\n",
    )?;
    w.write(
        "home/u/niri.kdl",
        "input { keyboard { xkb { layout \"us\"; } } }\n",
    )?;
    w.write("home/u/keymap.kdl", "bind \"Mod+T\" { spawn \"foot\"; }\n")?;
    // Unreachable files that do not parse, as in pantherOS.
    w.write("attic/empty.nix", "")?;
    w.write(
        "attic/half-edited.nix",
        "{ config, lib, ... }:\n{\n  services.foo = {\n    enable = true\n",
    )?;
    w.write("README.md", "# generated bench flake\n")
}

/// Write the whole flake under `root`.
pub fn generate(root: &Path, spec: &Spec) -> std::io::Result<Generated> {
    let mut w = Writer {
        root,
        out: Generated::default(),
    };
    let leaves = modules(&mut w, spec.module_files)?;
    w.out.leaf_modules = leaves.len();
    for i in 0..spec.hosts {
        host_files(&mut w, i, &leaves)?;
    }
    flake(&mut w, spec.hosts)?;
    Ok(w.out)
}
