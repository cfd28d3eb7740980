//! The `latchkey` binary; everything lives in `latchkey-cli`.

/// mimalloc: the request path allocates many small JSON values, and glibc malloc spent
/// a fifth of validate-key's CPU time in a profile (bench/results/README.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    latchkey_cli::main().await
}
