//! Heavy work (PNG renders and exports now; photo decoding and password hashing later) runs on
//! tokio's blocking threads, never on the threads that answer scans, and only so many at
//! once. A request that cannot get a turn within a moment is told to come back (429)
//! instead of queueing without end.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// How long a request waits for a turn before it is refused.
const WAIT_FOR_TURN: Duration = Duration::from_secs(2);

#[derive(Debug, thiserror::Error)]
pub enum HeavyError {
    #[error("the server is busy with other heavy work; try again in a moment")]
    Busy,
    #[error("the work failed: {0}")]
    Failed(String),
}

pub struct HeavyWork {
    turns: Arc<Semaphore>,
}

impl HeavyWork {
    /// One turn fewer than there are cores (at least one), so a core stays free for scans.
    pub fn for_this_machine() -> Self {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        Self::with_turns(cores.saturating_sub(1).max(1))
    }

    pub fn with_turns(turns: usize) -> Self {
        Self {
            turns: Arc::new(Semaphore::new(turns)),
        }
    }

    /// A turn for work that runs in many steps (an export), held until it is dropped.
    pub async fn turn(&self) -> Result<OwnedSemaphorePermit, HeavyError> {
        tokio::time::timeout(WAIT_FOR_TURN, self.turns.clone().acquire_owned())
            .await
            .map_err(|_| HeavyError::Busy)?
            .map_err(|_| HeavyError::Busy)
    }

    /// Runs `work` on a blocking thread once a turn is free.
    pub async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, HeavyError> {
        let turn = self.turn().await?;
        tokio::task::spawn_blocking(move || {
            let _turn = turn;
            work()
        })
        .await
        .map_err(|err| HeavyError::Failed(err.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Real time: tokio does not advance paused time while blocking work runs.
    #[tokio::test]
    async fn work_beyond_the_turns_waits_then_is_refused() {
        let heavy = Arc::new(HeavyWork::with_turns(1));
        let (release, hold) = std::sync::mpsc::channel::<()>();
        let busy = tokio::spawn({
            let heavy = heavy.clone();
            async move { heavy.run(move || hold.recv().is_ok()).await }
        });
        tokio::time::sleep(Duration::from_millis(100)).await;
        // The one turn is taken: the next request waits its two seconds, then gets Busy.
        let refused = heavy.run(|| 1).await;
        assert!(matches!(refused, Err(HeavyError::Busy)), "{refused:?}");
        release.send(()).unwrap();
        assert!(busy.await.unwrap().unwrap());
        assert_eq!(heavy.run(|| 2).await.unwrap(), 2, "the turn is free again");
    }
}
