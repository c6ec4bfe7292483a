//! Group commit: a writer task takes everything queued, lets the runtime run whoever is
//! ready to queue more, and commits as soon as a yield brings nothing new. The scan writer
//! and the event writer both gather this way; neither waits on a timer.

use tokio::sync::mpsc;

/// What a writer collects before one commit.
pub trait Group<T> {
    fn push(&mut self, item: T);
    fn is_full(&self) -> bool;
}

/// Adds what is queued to `group` until the queue stays empty across a yield, or the
/// group is full.
pub async fn gather<T>(rx: &mut mpsc::Receiver<T>, group: &mut impl Group<T>) {
    loop {
        while !group.is_full() {
            match rx.try_recv() {
                Ok(item) => group.push(item),
                Err(_) => break,
            }
        }
        if group.is_full() {
            return;
        }
        tokio::task::yield_now().await;
        if rx.is_empty() {
            return;
        }
    }
}
