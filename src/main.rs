//! The `latchkey` binary; everything lives in `latchkey-cli`.

#[tokio::main]
async fn main() -> std::process::ExitCode {
    latchkey_cli::main().await
}
