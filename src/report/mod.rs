//! Renderers shared by commands: text, JSON, markdown, github-matrix, junit, dot/mermaid.
