//! Thin entry point: parse arguments, run one command, map the outcome to an exit code.
fn main() -> std::process::ExitCode {
    openspec::cli::main()
}
