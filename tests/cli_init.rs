//! `latchkey init`: the admin password can come from a file or standard input (never
//! only the command line), and the SQLite database, its folder and the generated secret
//! key are private to their owner.

use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Stdio};

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .map(|m| m.permissions().mode() & 0o777)
        .unwrap_or(0)
}

fn init(data: &Path, account: &str, args: &[&str], stdin: Option<&str>) -> anyhow::Result<()> {
    let mut child = Command::new(env!("CARGO_BIN_EXE_latchkey"))
        .args([
            "init",
            "--database-url",
            &format!("sqlite://{}", data.join("latchkey.db").display()),
            "--account",
            account,
            "--email",
            &format!("admin@{account}.test"),
        ])
        .args(args)
        .env_remove("LATCHKEY_SECRET_KEY")
        .env_remove("LATCHKEY_DATABASE_URL")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    if let Some(mut pipe) = child.stdin.take() {
        pipe.write_all(stdin.unwrap_or("").as_bytes())?;
    }
    let output = child.wait_with_output()?;
    anyhow::ensure!(
        output.status.success(),
        "init failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    Ok(())
}

async fn password_digest(data: &Path, account: &str) -> anyhow::Result<String> {
    let db =
        latchkey_store::Db::connect(&format!("sqlite://{}", data.join("latchkey.db").display()))
            .await?;
    let row = latchkey_store::accounts::find(&db, account)
        .await?
        .ok_or_else(|| anyhow::anyhow!("account {account} missing"))?;
    let user = latchkey_store::users::find(&db, &row.id, &format!("admin@{account}.test"))
        .await?
        .ok_or_else(|| anyhow::anyhow!("admin missing"))?;
    db.close().await;
    user.password_digest
        .ok_or_else(|| anyhow::anyhow!("admin has no password"))
}

#[tokio::test]
async fn init_takes_the_password_from_stdin_or_a_file_and_keeps_files_private() -> anyhow::Result<()>
{
    let base = std::env::temp_dir().join(format!("latchkey-cli-{}", uuid::Uuid::new_v4()));
    let data = base.join("latchkey-data");
    std::fs::create_dir_all(&base)?;

    init(
        &data,
        "acme",
        &["--password-stdin"],
        Some("stdin secret 1\n"),
    )?;
    let digest = password_digest(&data, "acme").await?;
    assert!(latchkey_core::password::verify("stdin secret 1", &digest));
    assert!(!latchkey_core::password::verify(
        "stdin secret 1\n",
        &digest
    ));

    let file = base.join("admin.pass");
    std::fs::write(&file, "file secret 2\n")?;
    init(
        &data,
        "globex",
        &["--password-file", file.to_str().unwrap_or("")],
        None,
    )?;
    let digest = password_digest(&data, "globex").await?;
    assert!(latchkey_core::password::verify("file secret 2", &digest));

    // No password at all, or an empty one, is refused.
    assert!(init(&data, "initech", &[], None).is_err());
    assert!(init(&data, "initech", &["--password-stdin"], Some("\n")).is_err());

    assert_eq!(mode(&data), 0o700, "data folder");
    assert_eq!(mode(&data.join("latchkey.db")), 0o600, "database");
    assert_eq!(mode(&data.join("secret.key")), 0o600, "secret key");
    for companion in ["latchkey.db-wal", "latchkey.db-shm"] {
        let path = data.join(companion);
        if path.exists() {
            assert_eq!(mode(&path), 0o600, "{companion}");
        }
    }
    std::fs::remove_dir_all(&base)?;
    Ok(())
}
