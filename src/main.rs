//! The `latchkey` binary; everything lives in `latchkey-cli`.

#[tokio::main]
async fn main() -> std::process::ExitCode {
    match latchkey_cli::run().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
