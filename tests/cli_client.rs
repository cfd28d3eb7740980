//! The `latchkey` client commands through the real binary against a real server: the
//! end-user flow (fingerprint, activate twice, a second machine refused with a clear
//! message and exit code, validate, deactivate, offline verify of a checked-out file
//! and of Keygen's own files), operator commands (bulk create, list, export, errors)
//! and `backup`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use latchkey_testkit::TestServer;
use serde_json::{Value, json};

struct Cli {
    base: String,
    public_key: String,
    admin_token: String,
    home: PathBuf,
}

impl Cli {
    async fn new(server: &TestServer) -> anyhow::Result<Self> {
        let (public_key, _, _) = server.published_keys().await?;
        let home = std::env::temp_dir().join(format!("latchkey-cli-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&home)?;
        Ok(Cli {
            base: server.base.clone(),
            public_key: public_key.trim().to_owned(),
            admin_token: server.admin_token.clone(),
            home,
        })
    }

    fn command(&self, fingerprint: Option<&str>) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_latchkey"));
        for (name, _) in std::env::vars() {
            if name.starts_with("LATCHKEY_") {
                command.env_remove(name);
            }
        }
        command.env("LATCHKEY_PROFILE", self.home.join("profile.toml"));
        command.env("HOME", &self.home);
        if let Some(fp) = fingerprint {
            command.env("LATCHKEY_FINGERPRINT", fp);
        }
        command.current_dir(&self.home);
        command
    }

    /// An end-user command on the machine `fingerprint`.
    fn user(&self, fingerprint: &str, args: &[&str]) -> anyhow::Result<Output> {
        Ok(self
            .command(Some(fingerprint))
            .args(args)
            .args(["--url", &self.base, "--public-key", &self.public_key])
            .output()?)
    }

    /// An operator command with the admin token.
    fn admin(&self, args: &[&str]) -> anyhow::Result<Output> {
        Ok(self
            .command(None)
            .args(args)
            .args([
                "--url",
                &self.base,
                "--token",
                &self.admin_token,
                "--public-key",
                &self.public_key,
            ])
            .output()?)
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn code(output: &Output) -> i32 {
    output.status.code().unwrap_or(-1)
}

/// The binary checks signed dates against the real clock: move the server's there.
fn real_time(server: &TestServer) {
    #[allow(clippy::disallowed_methods)] // the binary under test reads the OS clock
    let now = time::OffsetDateTime::now_utc();
    server.clock.set(now);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_end_user_flow_through_the_binary() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    real_time(&server);
    let cli = Cli::new(&server).await?;
    let license = server
        .license_with_policy(json!({"maxMachines": 1, "authenticationStrategy": "LICENSE"}))
        .await?;
    let key = license["attributes"]["key"]
        .as_str()
        .unwrap_or_default()
        .to_owned();

    let out = cli.command(Some("fp-cli")).arg("fingerprint").output()?;
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout).trim(), "fp-cli");

    let out = cli.user("fp-cli", &["activate", "--key", &key])?;
    assert_eq!(code(&out), 0, "{}{}", text(&out.stdout), text(&out.stderr));
    assert!(
        text(&out.stdout).contains("activated this machine"),
        "{}",
        text(&out.stdout)
    );
    let out = cli.user("fp-cli", &["activate", "--key", &key])?;
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("already activated"),
        "{}",
        text(&out.stdout)
    );

    let out = cli.user("fp-second", &["activate", "--key", &key])?;
    assert_eq!(
        code(&out),
        4,
        "a second machine on a node-locked license: {}",
        text(&out.stderr)
    );
    let err = text(&out.stderr);
    assert!(err.contains("no free machine seat"), "{err}");
    assert!(err.contains("hint:"), "{err}");
    assert!(
        !err.contains("panicked") && err.lines().count() <= 3,
        "{err}"
    );

    let out = cli.user(
        "fp-cli",
        &["validate", "--key", &key, "--fingerprint", "fp-cli"],
    )?;
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).starts_with("VALID"),
        "{}",
        text(&out.stdout)
    );
    let out = cli.user(
        "fp-cli",
        &["validate", "--key", &key, "--fingerprint", "fp-second"],
    )?;
    assert_eq!(code(&out), 3, "{}", text(&out.stdout));

    // A checked-out machine file verifies offline, decrypted with key + fingerprint.
    let file = cli.home.join("machine.lic");
    let machines = cli.admin(&["machines", "list", "--json"])?;
    let listed: Value = serde_json::from_slice(&machines.stdout)?;
    let machine_id = listed["data"][0]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let out = cli.admin(&[
        "machines",
        "check-out",
        &machine_id,
        "--out",
        file.to_str().unwrap_or_default(),
        "--include",
        "license",
    ])?;
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    let file_arg = file.to_str().unwrap_or_default();
    let out = cli.user(
        "fp-cli",
        &["verify", file_arg, "--key", &key, "--fingerprint", "fp-cli"],
    )?;
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    let payload: Value = serde_json::from_slice(&out.stdout)?;
    assert_eq!(payload["data"]["id"], machine_id.as_str());
    let out = cli.user(
        "fp-cli",
        &[
            "verify",
            file_arg,
            "--key",
            &key,
            "--fingerprint",
            "fp-other",
        ],
    )?;
    assert_eq!(
        code(&out),
        6,
        "the wrong fingerprint cannot decrypt: {}",
        text(&out.stderr)
    );
    let tampered = std::fs::read_to_string(&file)?.replacen('A', "B", 1);
    std::fs::write(&file, tampered)?;
    let out = cli.user(
        "fp-cli",
        &["verify", file_arg, "--key", &key, "--fingerprint", "fp-cli"],
    )?;
    assert_ne!(code(&out), 0, "a tampered file: {}", text(&out.stderr));

    let out = cli.user("fp-cli", &["deactivate", "--key", &key])?;
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    let out = cli.user(
        "fp-cli",
        &["validate", "--key", &key, "--fingerprint", "fp-cli"],
    )?;
    assert_eq!(code(&out), 3);
    assert!(
        text(&out.stdout).starts_with("NO_MACHINE"),
        "{}",
        text(&out.stdout)
    );
    let out = cli.user("fp-cli", &["deactivate", "--key", &key])?;
    assert_eq!(code(&out), 4, "{}", text(&out.stderr));
    Ok(())
}

fn vectors() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/keygen-vectors")
}

#[test]
fn verify_works_on_keygens_own_files() -> anyhow::Result<()> {
    if !vectors().join("F7.lic").exists() {
        return Ok(());
    }
    let cli = Cli {
        base: String::new(),
        public_key: String::new(),
        admin_token: String::new(),
        home: std::env::temp_dir(),
    };
    let ee = "775e65407f3d86de55efbac47d1bbeab79768a21a406e39976606a704984e7d1";
    let key = "TEST-116A58-3F79F9-9F1982-9D63B1-V3";
    let run = |file: &str, extra: &[&str]| -> anyhow::Result<Output> {
        let path = vectors().join(file);
        Ok(cli
            .command(None)
            .args([
                "verify",
                path.to_str().unwrap_or_default(),
                "--public-key",
                ee,
                "--key",
                key,
            ])
            .args(extra)
            .output()?)
    };
    let out = run("F7.lic", &[])?;
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    let payload: Value = serde_json::from_slice(&out.stdout)?;
    assert_eq!(
        payload["data"]["id"],
        "a0025fa0-87eb-4076-9190-04038d2f2826"
    );
    let out = run("F8.lic", &[])?;
    assert_eq!(code(&out), 6, "expired: {}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("expired"),
        "{}",
        text(&out.stderr)
    );
    let out = run("F8.lic", &["--at", "2022-10-24T15:00:00Z"])?;
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    let out = run("F9.lic", &[])?;
    assert_eq!(code(&out), 6, "tampered: {}", text(&out.stderr));
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operator_commands_create_list_export_and_fail_clearly() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    real_time(&server);
    let cli = Cli::new(&server).await?;
    let out = cli.admin(&["products", "create", "--attr", "name=Desktop App", "--json"])?;
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    let product: Value = serde_json::from_slice(&out.stdout)?;
    let product_id = product["data"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let out = cli.admin(&[
        "policies",
        "create",
        "--attr",
        "name=Pro",
        "--attr",
        "maxMachines=3",
        "--attr",
        "floating=true",
        "--rel",
        &format!("product={product_id}"),
        "--json",
    ])?;
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    let policy: Value = serde_json::from_slice(&out.stdout)?;
    assert_eq!(policy["data"]["attributes"]["maxMachines"], 3);
    let policy_id = policy["data"]["id"].as_str().unwrap_or_default().to_owned();

    let out = cli.admin(&[
        "licenses",
        "create",
        "--rel",
        &format!("policy={policy_id}"),
        "--count",
        "3",
        "--json",
    ])?;
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    let created: Value = serde_json::from_slice(&out.stdout)?;
    assert_eq!(created.as_array().map(Vec::len), Some(3));

    let out = cli.admin(&["licenses", "list"])?;
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    let table = text(&out.stdout);
    for license in created.as_array().into_iter().flatten() {
        assert!(
            table.contains(license["id"].as_str().unwrap_or("?")),
            "{table}"
        );
    }

    let csv = cli.home.join("licenses.csv");
    let out = cli.admin(&[
        "licenses",
        "export",
        "--format",
        "csv",
        "--out",
        csv.to_str().unwrap_or_default(),
    ])?;
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    let exported = std::fs::read_to_string(&csv)?;
    assert_eq!(exported.lines().count(), 4, "{exported}");
    assert!(exported.starts_with("id,key,name,status"));

    let id = created[0]["id"].as_str().unwrap_or_default();
    let out = cli.admin(&["licenses", "suspend", id, "--json"])?;
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    let suspended: Value = serde_json::from_slice(&out.stdout)?;
    assert_eq!(suspended["data"]["attributes"]["suspended"], true);

    let out = cli.admin(&["products", "show", "00000000-0000-4000-8000-000000000000"])?;
    assert_eq!(code(&out), 4, "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).starts_with("error: "),
        "{}",
        text(&out.stderr)
    );
    let out = cli.admin(&["licenses", "create", "--attr", "novalue"])?;
    assert_eq!(code(&out), 2, "{}", text(&out.stderr));
    let out = cli.command(None).args(["licenses", "list"]).output()?;
    assert_eq!(code(&out), 2, "no URL: {}", text(&out.stderr));
    assert!(text(&out.stderr).contains("hint:"));

    // `login` saves a private profile with a token and the account's key; later
    // commands need no flags and verify answers with that key.
    let mut login = cli
        .command(None)
        .args([
            "login",
            "--url",
            &cli.base,
            "--account",
            "acme",
            "--email",
            "admin@acme.test",
            "--password-stdin",
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()?;
    if let Some(mut stdin) = login.stdin.take() {
        use std::io::Write;
        stdin.write_all(b"correct horse\n")?;
    }
    let out = login.wait_with_output()?;
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    let profile = std::fs::read_to_string(cli.home.join("profile.toml"))?;
    assert!(profile.contains(&cli.public_key), "{profile}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(cli.home.join("profile.toml"))?
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let out = cli
        .command(None)
        .args(["licenses", "list", "--json"])
        .output()?;
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    let listed: Value = serde_json::from_slice(&out.stdout)?;
    assert_eq!(listed["data"].as_array().map(Vec::len), Some(3));
    let out = cli.command(None).arg("logout").output()?;
    assert_eq!(code(&out), 0);
    assert!(!cli.home.join("profile.toml").exists());
    Ok(())
}

#[test]
fn backup_writes_a_private_consistent_copy_and_advises_pg_dump() -> anyhow::Result<()> {
    let dir = std::env::temp_dir().join(format!("latchkey-backup-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir)?;
    let url = format!("sqlite://{}", dir.join("db.sqlite").display());
    let cli = Cli {
        base: String::new(),
        public_key: String::new(),
        admin_token: String::new(),
        home: dir.clone(),
    };
    let out = cli
        .command(None)
        .args(["migrate", "--database-url", &url])
        .output()?;
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    let copy = dir.join("copy.sqlite");
    let copy_arg = copy.to_str().unwrap_or_default();
    let out = cli
        .command(None)
        .args(["backup", copy_arg, "--database-url", &url])
        .output()?;
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&copy)?.permissions().mode() & 0o777,
            0o600
        );
    }
    // The copy is a database with the schema.
    let out = cli
        .command(None)
        .args(["migrate", "--database-url", &format!("sqlite://{copy_arg}")])
        .output()?;
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    let out = cli
        .command(None)
        .args(["backup", copy_arg, "--database-url", &url])
        .output()?;
    assert_ne!(code(&out), 0, "an existing file is never overwritten");
    let out = cli
        .command(None)
        .args([
            "backup",
            "x.dump",
            "--database-url",
            "postgres://postgres@127.0.0.1:1/none",
        ])
        .output()?;
    assert_ne!(code(&out), 0);
    assert!(
        text(&out.stderr).contains("pg_dump"),
        "{}",
        text(&out.stderr)
    );
    std::fs::remove_dir_all(dir)?;
    Ok(())
}
