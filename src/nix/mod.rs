//! Evaluator bindings: the Nix CLI as typed calls, versions, derivations.
