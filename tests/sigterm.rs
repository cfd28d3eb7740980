//! The real `latchkey serve` binary exits within its shutdown timeout after SIGTERM,
//! even while a client keeps a request head open one line at a time.

#![cfg(unix)]

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

#[test]
fn sigterm_exits_within_the_shutdown_timeout_despite_a_slow_client() {
    let dir = std::env::temp_dir().join(format!("latchkey-sigterm-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_latchkey"))
        .args([
            "serve",
            "--bind",
            "127.0.0.1:0",
            "--header-timeout",
            "60",
            "--idle-timeout",
            "60",
            "--shutdown-timeout",
            "1",
        ])
        .env(
            "LATCHKEY_DATABASE_URL",
            format!("sqlite://{}/latchkey.db", dir.display()),
        )
        .env("LATCHKEY_LOG", "info")
        .env("NO_COLOR", "1")
        .env_remove("LATCHKEY_SECRET_KEY")
        .env_remove("LATCHKEY_ACCOUNT")
        .env_remove("LATCHKEY_ADMIN_EMAIL")
        .env_remove("LATCHKEY_ADMIN_PASSWORD")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();

    // The log line names the bound address.
    let stdout = child.stdout.take().unwrap();
    let (found, address) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(at) = line.find("listening on http://") {
                let rest = &line[at + "listening on http://".len()..];
                let end = rest
                    .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == ':'))
                    .unwrap_or(rest.len());
                let _ = found.send(rest[..end].to_owned());
            }
        }
    });
    let address = address
        .recv_timeout(Duration::from_secs(60))
        .expect("the server never said where it listens");

    // One header line every 200 ms, for as long as the server keeps the socket.
    let mut stream = TcpStream::connect(&address).unwrap();
    stream
        .write_all(b"GET /v1/ping HTTP/1.1\r\nHost: x\r\n")
        .unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let trickle = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            let mut n = 0;
            while !stop.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(200));
                if stream
                    .write_all(format!("X-Slow-{n}: 1\r\n").as_bytes())
                    .is_err()
                {
                    return;
                }
                n += 1;
            }
        })
    };
    std::thread::sleep(Duration::from_millis(500));

    let started = Instant::now();
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > Duration::from_secs(15) {
            let _ = child.kill();
            panic!("the server was still running 15 s after SIGTERM");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let elapsed = started.elapsed();
    stop.store(true, Ordering::Relaxed);
    let _ = trickle.join();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(status.success(), "{status:?}");
    assert!(
        elapsed < Duration::from_secs(4),
        "exited {elapsed:?} after SIGTERM; the shutdown timeout is 1 s"
    );
}
