//! Heavy work (PNG renders, exports, photo decoding; password hashing later) runs on
//! a pool of threads of its own, never on the threads that answer scans, and only so many at once. A
//! request that cannot get a turn within a moment is told to come back (429) instead of
//! queueing without end. Its threads run at the lowest priority (nice 19), so when scans and
//! heavy work want the same core the scheduler gives it to the scans: twenty people
//! uploading photos at once must not slow the redirect.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// How far below the process's priority heavy work runs: the lowest there is (nice 19
/// from 0). Measured with 20 clients uploading 12-megapixel photos while wrk scanned on
/// the same core: nice 10 left scans at 0.82 of their rate alone.
#[cfg(target_os = "linux")]
const NICE_STEPS: i32 = 19;

/// How long a request waits for a turn before it is refused.
const WAIT_FOR_TURN: Duration = Duration::from_secs(2);

#[derive(Debug, thiserror::Error)]
pub enum HeavyError {
    #[error("the server is busy with other heavy work; try again in a moment")]
    Busy,
    #[error("the work failed: {0}")]
    Failed(String),
}

type Job = Box<dyn FnOnce() + Send>;

pub struct HeavyWork {
    turns: Arc<Semaphore>,
    /// Work for the pool's threads, one per turn, alive as long as this is.
    jobs: std::sync::mpsc::Sender<Job>,
}

impl HeavyWork {
    /// One turn fewer than there are cores (at least one), so a core stays free for scans.
    pub fn for_this_machine() -> Self {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        Self::with_turns(cores.saturating_sub(1).max(1))
    }

    /// Starts a thread per turn. They are kept, not made per piece of work: memory a
    /// thread's allocator holds is reused by its next piece of work, where a thread per
    /// piece left it behind (about 140 MB after a minute of photo uploads).
    pub fn with_turns(turns: usize) -> Self {
        let (jobs, queue) = std::sync::mpsc::channel::<Job>();
        let queue = Arc::new(std::sync::Mutex::new(queue));
        for _ in 0..turns {
            let queue = queue.clone();
            let started = std::thread::Builder::new()
                .name("scanloop-heavy".into())
                .spawn(move || {
                    lower_priority();
                    loop {
                        let job = match queue.lock() {
                            Ok(queue) => queue.recv(),
                            Err(_) => return,
                        };
                        let Ok(job) = job else { return };
                        // A panic is the caller's error (its answer channel is dropped);
                        // the thread goes on serving.
                        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job));
                    }
                });
            if let Err(err) = started {
                tracing::error!(%err, "a heavy-work thread could not start");
            }
        }
        Self {
            turns: Arc::new(Semaphore::new(turns)),
            jobs,
        }
    }

    /// A turn for work that runs in many steps (an export), held until it is dropped.
    pub async fn turn(&self) -> Result<OwnedSemaphorePermit, HeavyError> {
        tokio::time::timeout(WAIT_FOR_TURN, self.turns.clone().acquire_owned())
            .await
            .map_err(|_| HeavyError::Busy)?
            .map_err(|_| HeavyError::Busy)
    }

    /// Runs `work` on one of the pool's low-priority threads once a turn is free.
    pub async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, HeavyError> {
        let turn = self.turn().await?;
        let (done, result) = tokio::sync::oneshot::channel();
        self.jobs
            .send(Box::new(move || {
                let _turn = turn;
                let _ = done.send(work());
            }))
            .map_err(|_| HeavyError::Failed("the heavy-work threads have stopped".into()))?;
        result
            .await
            .map_err(|_| HeavyError::Failed("the work panicked".into()))
    }
}

/// Makes the calling thread yield its core to normal-priority threads. On Linux
/// the nice value belongs to the thread, not the process.
#[cfg(target_os = "linux")]
fn lower_priority() {
    // SAFETY: gettid and setpriority only read their arguments; a failure leaves the
    // thread at its priority, which is harmless.
    unsafe {
        let thread = libc::syscall(libc::SYS_gettid) as libc::id_t;
        let now = libc::getpriority(libc::PRIO_PROCESS, thread);
        libc::setpriority(libc::PRIO_PROCESS, thread, (now + NICE_STEPS).min(19));
    }
}

#[cfg(not(target_os = "linux"))]
fn lower_priority() {}

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

    #[cfg(target_os = "linux")]
    #[tokio::test]
    async fn heavy_work_runs_below_normal_priority_and_the_caller_stays_normal() {
        // SAFETY: getpriority only reads; errno is not needed for these values.
        let nice = || unsafe {
            libc::getpriority(
                libc::PRIO_PROCESS,
                libc::syscall(libc::SYS_gettid) as libc::id_t,
            )
        };
        let heavy = HeavyWork::with_turns(1);
        let before = nice();
        assert_eq!(
            heavy.run(nice).await.unwrap(),
            (before + NICE_STEPS).min(19)
        );
        assert_eq!(nice(), before);
    }

    #[tokio::test]
    async fn a_panic_in_the_work_is_an_error_not_a_crash() {
        let heavy = HeavyWork::with_turns(1);
        let failed = heavy.run(|| -> u8 { panic!("broken input") }).await;
        assert!(matches!(failed, Err(HeavyError::Failed(_))), "{failed:?}");
        assert_eq!(
            heavy.run(|| 3).await.unwrap(),
            3,
            "the turn and the thread came back"
        );
    }
}
