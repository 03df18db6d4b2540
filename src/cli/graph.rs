//! `openspec graph`: the host/module graph.
use super::{CmdResult, Ctx, Exit, Failure};
use crate::report::graph::{self, Format};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Only this host
    #[arg(long)]
    pub host: Option<String>,
    /// Output format (`--json` is the same as `--format json`)
    #[arg(long)]
    pub format: Option<Format>,
}

pub fn run(args: Args, ctx: &Ctx) -> CmdResult {
    let model = super::load_model(ctx)?;
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
        Format::Json
    } else {
        args.format.unwrap_or_default()
    };
    match format {
        Format::Json => ctx.print_json(&graph::json(&g)),
        Format::Mermaid => print!("{}", graph::mermaid(&g)),
        Format::Dot => print!("{}", graph::dot(&g)),
    }
    Ok(match super::model_errors(model) {
        Some(why) => ctx.refuse(&why),
        None => Exit::Ok,
    })
}
