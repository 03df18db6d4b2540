//! `openspec graph`: the host/module graph.
use super::{CmdResult, Ctx, Exit, Failure};
use crate::report::graph;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Only this host
    #[arg(long)]
    pub host: Option<String>,
    /// Output format (`--json` is the same as `--format json`)
    #[arg(long, value_parser = ["dot", "mermaid", "json"])]
    pub format: Option<String>,
}

pub fn run(args: Args, ctx: &Ctx) -> CmdResult {
    let model = super::hosts::load_model(ctx)?;
    if let Some(h) = &args.host
        && model.host(h).is_none()
    {
        let known: Vec<&str> = model.hosts.iter().map(|h| h.name.as_str()).collect();
        return Err(Failure::usage(format!(
            "no host named {h:?}; hosts: {}",
            known.join(", ")
        )));
    }
    let g = graph::build(model, args.host.as_deref());
    // `--json` wins over `--format`: one JSON document, as promised.
    let format = if ctx.json {
        "json".into()
    } else {
        args.format.unwrap_or_else(|| "dot".into())
    };
    match format.as_str() {
        "json" => ctx.print_json(&graph::json(&g)),
        "mermaid" => print!("{}", graph::mermaid(&g)),
        _ => print!("{}", graph::dot(&g)),
    }
    Ok(if model.has_errors() {
        Exit::Refused
    } else {
        Exit::Ok
    })
}
