#![forbid(unsafe_code)]

fn main() -> std::process::ExitCode {
    kyso::cli::main()
}
