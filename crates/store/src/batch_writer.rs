//! The gathering loop of the background log writers (event logs here, request logs
//! in the server): rows arrive over a channel and are written many per
//! transaction, gathered for a short while unless a reader asks for a flush or a
//! batch is full.

use std::future::Future;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

/// What a writer receives.
pub enum Message<T> {
    /// Rows to write.
    Rows(Vec<T>),
    /// Answered once every row received before it is written.
    Flush(oneshot::Sender<()>),
}

/// How a writer gathers rows before writing them.
#[derive(Debug, Clone, Copy)]
pub struct Gather {
    /// How long rows are gathered after the first one arrives.
    pub linger: Duration,
    /// Rows per write at most.
    pub max_rows: usize,
}

/// Runs a writer until every sender is gone: gathers rows as `gather` says (a
/// flush ends the gathering at once), hands them to `write`, then answers the
/// flushes that arrived meanwhile.
pub async fn run<T, F, Fut>(mut receiver: mpsc::Receiver<Message<T>>, gather: Gather, mut write: F)
where
    F: FnMut(Vec<T>) -> Fut,
    Fut: Future<Output = ()>,
{
    let mut rows: Vec<T> = Vec::new();
    let mut waiting: Vec<oneshot::Sender<()>> = Vec::new();
    let take = |message: Message<T>, rows: &mut Vec<T>, waiting: &mut Vec<oneshot::Sender<()>>| {
        match message {
            Message::Rows(mut batch) => rows.append(&mut batch),
            Message::Flush(done) => waiting.push(done),
        }
    };
    while let Some(first) = receiver.recv().await {
        take(first, &mut rows, &mut waiting);
        let deadline = tokio::time::sleep(gather.linger);
        tokio::pin!(deadline);
        while rows.len() < gather.max_rows && waiting.is_empty() {
            tokio::select! {
                _ = &mut deadline => break,
                next = receiver.recv() => match next {
                    Some(message) => take(message, &mut rows, &mut waiting),
                    None => break,
                },
            }
        }
        if !rows.is_empty() {
            write(std::mem::take(&mut rows)).await;
        }
        for done in waiting.drain(..) {
            let _ = done.send(());
        }
    }
}

/// Waits until every row sent to the writer before this call is written, at most
/// `wait`.
pub async fn flush<T>(sender: &mpsc::Sender<Message<T>>, wait: Duration) {
    let (done, answered) = oneshot::channel();
    if sender.send(Message::Flush(done)).await.is_ok() {
        let _ = tokio::time::timeout(wait, answered).await;
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use std::sync::{Arc, Mutex};

    type Written = Arc<Mutex<Vec<Vec<u32>>>>;

    fn start(linger: Duration) -> (mpsc::Sender<Message<u32>>, Written) {
        let (sender, receiver) = mpsc::channel(16);
        let written: Written = Arc::default();
        let sink = written.clone();
        let gather = Gather {
            linger,
            max_rows: 3,
        };
        tokio::spawn(run(receiver, gather, move |rows| {
            sink.lock().unwrap().push(rows);
            async {}
        }));
        (sender, written)
    }

    async fn until(written: &Written, writes: usize) {
        for _ in 0..500 {
            if written.lock().unwrap().len() >= writes {
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("never written: {:?}", written.lock().unwrap());
    }

    #[tokio::test]
    async fn gathers_rows_into_one_write_until_a_flush_or_a_full_batch() {
        let (sender, written) = start(Duration::from_secs(3_600));
        sender.send(Message::Rows(vec![1])).await.unwrap();
        sender.send(Message::Rows(vec![2])).await.unwrap();
        flush(&sender, Duration::from_secs(10)).await;
        assert_eq!(*written.lock().unwrap(), vec![vec![1, 2]]);
        // A full batch is written without a flush and without the hour's wait.
        sender.send(Message::Rows(vec![3, 4, 5])).await.unwrap();
        until(&written, 2).await;
        assert_eq!(written.lock().unwrap()[1], vec![3, 4, 5]);
    }

    #[tokio::test]
    async fn writes_what_it_gathered_once_the_linger_ends() {
        let (sender, written) = start(Duration::from_millis(20));
        sender.send(Message::Rows(vec![7])).await.unwrap();
        until(&written, 1).await;
        assert_eq!(*written.lock().unwrap(), vec![vec![7]]);
    }
}
