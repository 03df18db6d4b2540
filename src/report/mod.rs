//! Renderers shared by commands: text, JSON, markdown, github-matrix, junit, dot/mermaid.
pub mod check;
pub mod graph;
pub mod hosts;
pub mod impact;
