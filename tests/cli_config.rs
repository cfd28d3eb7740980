//! Layered configuration through the real binary: defaults < `--config` file <
//! `LATCHKEY_*` variables < flags; unknown file keys are named; `print-default-config`
//! prints a file that reads back as the defaults.
//!
//! Which `bind` won is read from the error of binding a loopback port the test holds
//! itself, so `serve` stops at start with "binding <address>".

use latchkey_server::config::Settings;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn latchkey(dir: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_latchkey"));
    command.current_dir(dir);
    for (name, _) in std::env::vars() {
        if name.starts_with("LATCHKEY_") {
            command.env_remove(name);
        }
    }
    command.env("LATCHKEY_LOG", "warn");
    command
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn temp_dir() -> anyhow::Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!("latchkey-config-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

#[test]
fn a_flag_beats_a_variable_beats_the_file_beats_the_default() -> anyhow::Result<()> {
    let dir = temp_dir()?;
    let held: Vec<std::net::TcpListener> = (0..3)
        .map(|_| std::net::TcpListener::bind("127.0.0.1:0"))
        .collect::<Result<_, _>>()?;
    let [in_file, in_variable, in_flag] = [0, 1, 2].map(|i| {
        held[i]
            .local_addr()
            .map(|a| a.to_string())
            .unwrap_or_default()
    });
    let file = dir.join("latchkey.toml");
    std::fs::write(
        &file,
        format!("database_url = \"sqlite://data/file.db\"\nbind = \"{in_file}\"\n"),
    )?;
    let serve = |variable: Option<&str>, flag: Option<&str>| -> anyhow::Result<String> {
        let mut command = latchkey(&dir);
        command.args(["serve", "--config"]).arg(&file);
        if let Some(bind) = variable {
            command.env("LATCHKEY_BIND", bind);
        }
        if let Some(bind) = flag {
            command.args(["--bind", bind]);
        }
        let output = command.output()?;
        anyhow::ensure!(!output.status.success(), "serve bound a port in use");
        Ok(stderr(&output))
    };
    let from_file = serve(None, None)?;
    assert!(
        from_file.contains(&format!("binding {in_file}")),
        "{from_file}"
    );
    // The file's database was used (and its secret key generated beside it).
    assert!(dir.join("data/file.db").exists());
    assert!(dir.join("data/secret.key").exists());
    assert!(!dir.join("latchkey-data").exists());

    let from_variable = serve(Some(&in_variable), None)?;
    assert!(
        from_variable.contains(&format!("binding {in_variable}")),
        "{from_variable}"
    );
    let from_flag = serve(Some(&in_variable), Some(&in_flag))?;
    assert!(
        from_flag.contains(&format!("binding {in_flag}")),
        "{from_flag}"
    );

    // LATCHKEY_CONFIG names the file too.
    let output = latchkey(&dir)
        .arg("serve")
        .env("LATCHKEY_CONFIG", &file)
        .output()?;
    let from_config_variable = stderr(&output);
    assert!(
        from_config_variable.contains(&format!("binding {in_file}")),
        "{from_config_variable}"
    );
    drop(held);
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}

#[test]
fn an_unknown_or_invalid_key_is_an_error_that_names_it() -> anyhow::Result<()> {
    let dir = temp_dir()?;
    let file = dir.join("latchkey.toml");
    std::fs::write(&file, "bind = \"127.0.0.1:0\"\ncull_intervall = 5\n")?;
    let output = latchkey(&dir)
        .args(["migrate", "--config"])
        .arg(&file)
        .output()?;
    assert!(!output.status.success());
    assert!(
        stderr(&output).contains("cull_intervall"),
        "{}",
        stderr(&output)
    );
    assert!(!dir.join("latchkey-data").exists(), "nothing was opened");

    std::fs::write(&file, "body_timeout = 0\n")?;
    let output = latchkey(&dir)
        .args(["serve", "--config"])
        .arg(&file)
        .output()?;
    assert!(!output.status.success());
    assert!(
        stderr(&output).contains("body_timeout"),
        "{}",
        stderr(&output)
    );
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}

#[test]
fn print_default_config_reads_back_as_the_defaults() -> anyhow::Result<()> {
    let dir = temp_dir()?;
    let output = latchkey(&dir).arg("print-default-config").output()?;
    assert!(output.status.success(), "{}", stderr(&output));
    let text = String::from_utf8(output.stdout)?;
    assert_eq!(Settings::from_toml(&text)?, Settings::default());
    for doc in latchkey_server::config::DOCS {
        assert!(
            text.contains(&format!("{} = ", doc.key)),
            "{} missing",
            doc.key
        );
    }
    // README.md's configuration table names every key and its variable.
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))?;
    for doc in latchkey_server::config::DOCS {
        let variable = format!("`LATCHKEY_{}`", doc.key.to_uppercase());
        assert!(
            readme.contains(&format!("`{}`", doc.key)),
            "{} not in README",
            doc.key
        );
        assert!(readme.contains(&variable), "{variable} not in README");
    }
    // And the printed file is a valid --config.
    let file = dir.join("defaults.toml");
    std::fs::write(&file, &text)?;
    let output = latchkey(&dir)
        .args([
            "migrate",
            "--database-url",
            "sqlite://data/x.db",
            "--config",
        ])
        .arg(&file)
        .output()?;
    assert!(output.status.success(), "{}", stderr(&output));
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}
