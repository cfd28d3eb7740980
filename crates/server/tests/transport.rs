//! Slow and abusive clients against the real server: slow headers, slow bodies,
//! silent and idle connections, the connection limit, and a shutdown that must not
//! wait for any of them longer than the configured drain.

use latchkey_server::Config;
use latchkey_testkit::TestServer;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

fn addr(server: &TestServer) -> String {
    server.base.trim_start_matches("http://").to_owned()
}

/// Reads until the server closes the connection (EOF or reset); returns what it sent.
async fn read_until_closed(stream: &mut tokio::net::tcp::OwnedReadHalf) -> Vec<u8> {
    let mut received = Vec::new();
    let mut buffer = [0u8; 4096];
    loop {
        match stream.read(&mut buffer).await {
            Ok(0) | Err(_) => return received,
            Ok(n) => received.extend_from_slice(&buffer[..n]),
        }
    }
}

/// Starts a client that sends a request line, then one header line every `every`
/// for as long as the server lets it; returns when the server has closed.
fn trickle_headers(
    stream: TcpStream,
    every: Duration,
) -> tokio::task::JoinHandle<(Duration, Vec<u8>)> {
    tokio::spawn(async move {
        let started = Instant::now();
        let (mut read, mut write) = stream.into_split();
        let writer = tokio::spawn(async move {
            let _ = write
                .write_all(b"GET /v1/ping HTTP/1.1\r\nHost: x\r\n")
                .await;
            for n in 0.. {
                tokio::time::sleep(every).await;
                if write
                    .write_all(format!("X-Slow-{n}: 1\r\n").as_bytes())
                    .await
                    .is_err()
                {
                    return;
                }
            }
        });
        let received = read_until_closed(&mut read).await;
        writer.abort();
        (started.elapsed(), received)
    })
}

#[tokio::test]
async fn a_slow_header_client_is_disconnected_within_the_header_timeout() -> anyhow::Result<()> {
    let server = TestServer::start_with(Config {
        header_timeout: Duration::from_secs(2),
        ..Config::default()
    })
    .await?;
    let stream = TcpStream::connect(addr(&server)).await?;
    let client = trickle_headers(stream, Duration::from_millis(300));
    let (elapsed, _) = tokio::time::timeout(Duration::from_secs(10), client)
        .await
        .map_err(|_| anyhow::anyhow!("the slow-header client was never disconnected"))??;
    assert!(
        elapsed >= Duration::from_millis(1500) && elapsed < Duration::from_secs(4),
        "disconnected after {elapsed:?}, expected about 2 s"
    );
    // The server still answers others.
    let ping = server.call("GET", "/v1/ping", None, None).await?;
    assert!((200..300).contains(&ping.status));
    Ok(())
}

#[tokio::test]
async fn a_first_request_sent_byte_by_byte_is_cut_off_at_the_header_timeout() -> anyhow::Result<()>
{
    let server = TestServer::start_with(Config {
        header_timeout: Duration::from_secs(2),
        ..Config::default()
    })
    .await?;
    let (mut read, mut write) = TcpStream::connect(addr(&server)).await?.into_split();
    let started = Instant::now();
    let writer = tokio::spawn(async move {
        for byte in b"GET /v1/ping HTTP/1.1\r\nHost: x\r\n\r\n" {
            if write.write_all(&[*byte]).await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
    });
    let received = tokio::time::timeout(Duration::from_secs(10), read_until_closed(&mut read))
        .await
        .map_err(|_| anyhow::anyhow!("the byte-by-byte client was never disconnected"))?;
    writer.abort();
    let elapsed = started.elapsed();
    assert!(
        received.is_empty(),
        "{}",
        String::from_utf8_lossy(&received)
    );
    assert!(
        elapsed >= Duration::from_millis(1500) && elapsed < Duration::from_secs(4),
        "disconnected after {elapsed:?}, expected about 2 s"
    );
    Ok(())
}

#[tokio::test]
async fn a_slow_body_is_answered_408_within_the_body_timeout() -> anyhow::Result<()> {
    let server = TestServer::start_with(Config {
        body_timeout: Duration::from_secs(2),
        ..Config::default()
    })
    .await?;
    let stream = TcpStream::connect(addr(&server)).await?;
    let (mut read, mut write) = stream.into_split();
    write
        .write_all(
            b"POST /v1/licenses/actions/validate-key HTTP/1.1\r\nHost: x\r\n\
              Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{",
        )
        .await?;
    let started = Instant::now();
    let writer = tokio::spawn(async move {
        loop {
            tokio::time::sleep(Duration::from_millis(300)).await;
            if write.write_all(b" ").await.is_err() {
                return;
            }
        }
    });
    let received = tokio::time::timeout(Duration::from_secs(10), read_until_closed(&mut read))
        .await
        .map_err(|_| anyhow::anyhow!("the slow body was never cut off"))?;
    writer.abort();
    let elapsed = started.elapsed();
    let text = String::from_utf8_lossy(&received);
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    assert!(text.contains("REQUEST_TIMEOUT"), "{text}");
    assert!(
        elapsed >= Duration::from_millis(1500) && elapsed < Duration::from_secs(4),
        "answered after {elapsed:?}, expected about 2 s"
    );
    Ok(())
}

#[tokio::test]
async fn silent_and_idle_keep_alive_connections_are_closed() -> anyhow::Result<()> {
    let server = TestServer::start_with(Config {
        header_timeout: Duration::from_secs(2),
        idle_timeout: Duration::from_secs(2),
        ..Config::default()
    })
    .await?;
    let silent_server = TestServer::start_with(Config {
        header_timeout: Duration::from_secs(30),
        idle_timeout: Duration::from_secs(2),
        ..Config::default()
    })
    .await?;
    // A socket that never sends a byte (closed by the idle timeout, not the header one).
    let started = Instant::now();
    let (mut silent, _keep) = TcpStream::connect(addr(&silent_server)).await?.into_split();
    tokio::time::timeout(Duration::from_secs(10), read_until_closed(&mut silent))
        .await
        .map_err(|_| anyhow::anyhow!("a silent connection stayed open"))?;
    let elapsed = started.elapsed();
    assert!(
        elapsed >= Duration::from_millis(1500) && elapsed < Duration::from_secs(4),
        "closed after {elapsed:?}"
    );

    // A keep-alive connection left idle after one complete request.
    let (mut read, mut write) = TcpStream::connect(addr(&server)).await?.into_split();
    write
        .write_all(b"GET /v1/ping HTTP/1.1\r\nHost: x\r\n\r\n")
        .await?;
    let started = Instant::now();
    let received = tokio::time::timeout(Duration::from_secs(10), read_until_closed(&mut read))
        .await
        .map_err(|_| anyhow::anyhow!("an idle keep-alive connection stayed open"))?;
    let elapsed = started.elapsed();
    assert!(String::from_utf8_lossy(&received).starts_with("HTTP/1.1 2"));
    assert!(
        elapsed >= Duration::from_millis(1500) && elapsed < Duration::from_secs(4),
        "closed after {elapsed:?}"
    );
    Ok(())
}

#[tokio::test]
async fn over_the_connection_limit_clients_wait_until_a_slot_frees() -> anyhow::Result<()> {
    let server = TestServer::start_with(Config {
        max_connections: 2,
        header_timeout: Duration::from_secs(30),
        idle_timeout: Duration::from_secs(30),
        ..Config::default()
    })
    .await?;
    let first = TcpStream::connect(addr(&server)).await?;
    let second = TcpStream::connect(addr(&server)).await?;
    // Both slots are held: a third client is not served.
    let client = reqwest::Client::builder()
        .timeout(Duration::from_millis(1500))
        .pool_max_idle_per_host(0)
        .build()?;
    let url = format!("{}/v1/ping", server.base);
    let blocked = client.get(&url).send().await;
    assert!(
        blocked.is_err(),
        "served beyond the limit: {:?}",
        blocked.map(|r| r.status())
    );
    drop(first);
    drop(second);
    let freed = client.get(&url).send().await?;
    assert!(freed.status().is_success(), "{}", freed.status());
    Ok(())
}

#[tokio::test]
async fn shutdown_finishes_within_the_drain_limit_despite_a_slow_client() -> anyhow::Result<()> {
    let mut server = TestServer::start_with(Config {
        header_timeout: Duration::from_secs(60),
        idle_timeout: Duration::from_secs(60),
        shutdown_timeout: Duration::from_secs(1),
        ..Config::default()
    })
    .await?;
    let stream = TcpStream::connect(addr(&server)).await?;
    let client = trickle_headers(stream, Duration::from_millis(200));
    tokio::time::sleep(Duration::from_millis(500)).await;
    let started = Instant::now();
    tokio::time::timeout(Duration::from_secs(10), server.shut_down())
        .await
        .map_err(|_| anyhow::anyhow!("the server never finished shutting down"))??;
    let elapsed = started.elapsed();
    assert!(
        elapsed < Duration::from_millis(2500),
        "shutdown took {elapsed:?}, the drain limit is 1 s"
    );
    // The slow client was cut off rather than left hanging.
    tokio::time::timeout(Duration::from_secs(3), client)
        .await
        .map_err(|_| anyhow::anyhow!("the slow client is still connected"))??;
    // And nothing listens any more.
    assert!(TcpStream::connect(addr(&server)).await.is_err());
    Ok(())
}

#[tokio::test]
async fn shutdown_lets_an_in_flight_request_finish() -> anyhow::Result<()> {
    let mut server = TestServer::start_with(Config {
        body_timeout: Duration::from_secs(10),
        shutdown_timeout: Duration::from_secs(5),
        ..Config::default()
    })
    .await?;
    // A request whose body is still arriving when the shutdown starts.
    let (mut read, mut write) = TcpStream::connect(addr(&server)).await?.into_split();
    let body = br#"{"meta":{"key":"nope"}}"#;
    let head = format!(
        "POST /v1/licenses/actions/validate-key HTTP/1.1\r\nHost: x\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    write.write_all(head.as_bytes()).await?;
    write.write_all(&body[..5]).await?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let stopping = tokio::spawn(async move {
        let started = Instant::now();
        server.shut_down().await.map(|()| started.elapsed())
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    write.write_all(&body[5..]).await?;
    let received = tokio::time::timeout(Duration::from_secs(5), read_until_closed(&mut read))
        .await
        .map_err(|_| anyhow::anyhow!("no answer"))?;
    let text = String::from_utf8_lossy(&received);
    assert!(text.starts_with("HTTP/1.1 "), "{text}");
    assert!(!text.starts_with("HTTP/1.1 5"), "{text}");
    let elapsed = stopping.await??;
    assert!(
        elapsed < Duration::from_secs(3),
        "shutdown took {elapsed:?}"
    );
    Ok(())
}
