//! Static model of a flake: parse .nix files with rnix, find hosts, resolve
//! each host's dependency set. Nothing here evaluates Nix.
