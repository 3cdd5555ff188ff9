#![forbid(unsafe_code)]

/// mimalloc rather than the system allocator: a signing or verification moves megabyte
/// buffers between threads, and glibc's per-thread arenas returned them to the kernel and
/// faulted them back in, which cost the service about a fifth of its throughput under load
/// (docs/performance.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    kyso::cli::main()
}
