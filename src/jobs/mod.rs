//! Background jobs: batch generation, the per-code history fold, the day tier's fold,
//! retention. Each runs under `supervise`, so a job that panics is logged and started again
//! instead of silently gone.

pub mod batch_generation;
pub mod code_history;
pub mod days;
pub mod retention;

use std::future::Future;
use std::time::Duration;

use tokio::task::JoinHandle;

pub use batch_generation::BatchGenerator;

/// Pause before a job that panicked starts again, so a job that fails at once cannot spin.
const RESTART_AFTER: Duration = Duration::from_secs(1);

/// Runs the job made by `make` until the process ends, starting it again if it panics or
/// returns. Abort the handle to stop it.
pub fn supervise<F, Fut>(name: &'static str, make: F) -> JoinHandle<()>
where
    F: Fn() -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    tokio::spawn(async move {
        loop {
            match tokio::spawn(make()).await {
                Ok(()) => tracing::error!(job = name, "background job ended; starting it again"),
                Err(err) if err.is_panic() => {
                    tracing::error!(job = name, error = %err, "background job panicked; starting it again");
                }
                // Cancelled: the runtime is shutting down.
                Err(_) => return,
            }
            tokio::time::sleep(RESTART_AFTER).await;
        }
    })
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU32, Ordering};

    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_job_that_panics_is_started_again() {
        let starts = Arc::new(AtomicU32::new(0));
        let counter = starts.clone();
        let handle = supervise("test", move || {
            let counter = counter.clone();
            async move {
                if counter.fetch_add(1, Ordering::SeqCst) < 2 {
                    panic!("boom");
                }
                std::future::pending::<()>().await;
            }
        });
        tokio::time::sleep(RESTART_AFTER * 5).await;
        assert_eq!(starts.load(Ordering::SeqCst), 3);
        handle.abort();
    }
}
