//! Waiting for a new credential to work, and telling the window while it does.
//!
//! A key a vendor just issued is not always valid everywhere at once: the console tests it
//! again with a growing pause until it works or the connector's limit passes. Tests inject a
//! schedule of milliseconds ([`crate::service::Console::set_propagation_schedule`]); the
//! production limits are the constants below.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use ts_rs::TS;

use super::ConnectorStep;

/// Meraki: "it may take up to five minutes for the new key to propagate" for an admin of more
/// than one organization, which every MSP admin is (Meraki Dashboard API docs,
/// "Authorization" → generating and revoking keys). Five minutes plus a margin.
pub const MERAKI_PROPAGATION_LIMIT: Duration = Duration::from_secs(6 * 60);

/// Entra: a new app secret works after seconds to about two minutes (Entra ID is eventually
/// consistent; microsoftgraph/microsoft-graph-docs-contrib#1921 measured 4–18 s). Two minutes
/// plus a margin.
pub const ENTRA_PROPAGATION_LIMIT: Duration = Duration::from_secs(3 * 60);

/// SentinelOne documents no delay: the management console that issues the token also checks
/// it. Two minutes covers replication between a console's nodes without holding the
/// technician long once the token really does not work.
pub const SENTINELONE_PROPAGATION_LIMIT: Duration = Duration::from_secs(2 * 60);

/// The first pause before testing a new key again; pauses double up to [`PRODUCTION_MAX_WAIT`].
pub const PRODUCTION_FIRST_WAIT: Duration = Duration::from_secs(5);
pub const PRODUCTION_MAX_WAIT: Duration = Duration::from_secs(30);

/// How often and how long the test step tries a new credential.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PropagationSchedule {
    pub first_wait: Duration,
    pub max_wait: Duration,
    /// No attempt starts after this much time since the first.
    pub limit: Duration,
}

impl PropagationSchedule {
    /// The production pauses with a connector's limit.
    pub fn production(limit: Duration) -> PropagationSchedule {
        PropagationSchedule {
            first_wait: PRODUCTION_FIRST_WAIT,
            max_wait: PRODUCTION_MAX_WAIT,
            limit,
        }
    }

    /// Fixed pauses of `step` up to `limit` (tests: 50 ms steps, a 2 s limit).
    pub fn fixed(step: Duration, limit: Duration) -> PropagationSchedule {
        PropagationSchedule {
            first_wait: step,
            max_wait: step,
            limit,
        }
    }

    /// The pause after attempt `attempt` (1-based) failed: doubling from `first_wait`.
    pub fn wait_after(&self, attempt: u32) -> Duration {
        let doubled = self
            .first_wait
            .saturating_mul(2u32.saturating_pow(attempt.saturating_sub(1).min(16)));
        doubled.min(self.max_wait)
    }
}

/// "1 min 10 s", "45 s", "6 min", "120 ms": durations as the progress line says them.
pub fn spoken(duration: Duration) -> String {
    let secs = duration.as_secs();
    match (secs / 60, secs % 60) {
        (0, 0) => format!("{} ms", duration.as_millis()),
        (0, s) => format!("{s} s"),
        (m, 0) => format!("{m} min"),
        (m, s) => format!("{m} min {s} s"),
    }
}

/// One step of a rotation at the vendor, as the Rotate dialog and Rotate All Due show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct RotationProgress {
    pub client_id: String,
    pub secret_name: String,
    pub step: ConnectorStep,
    /// The test attempt about to run (0 outside the test step).
    pub attempt: u32,
    pub elapsed_ms: u64,
    /// How long the console waits at most for the new key (0 outside the test step).
    pub limit_ms: u64,
    pub message: String,
}

pub type ProgressSink = Arc<dyn Fn(RotationProgress) + Send + Sync>;

tokio::task_local! {
    // Per call rather than per console: one window rotates for several clients, and Rotate All
    // Due's rotations run as futures of the caller's task, so they all see the caller's sink.
    static PROGRESS: ProgressSink;
}

/// Run `work` with `sink` receiving the progress of every rotation at a vendor inside it.
pub async fn with_progress<F: Future>(sink: ProgressSink, work: F) -> F::Output {
    PROGRESS.scope(sink, work).await
}

/// Tell the caller's sink, if it set one.
pub(crate) fn report(progress: RotationProgress) {
    let _ = PROGRESS.try_with(|sink| sink(progress));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pauses_double_up_to_the_cap_and_read_like_a_person_would_say_them() {
        let schedule = PropagationSchedule::production(MERAKI_PROPAGATION_LIMIT);
        let waits: Vec<u64> = (1..=6).map(|a| schedule.wait_after(a).as_secs()).collect();
        assert_eq!(waits, [5, 10, 20, 30, 30, 30]);
        assert_eq!(
            PropagationSchedule::fixed(Duration::from_millis(50), Duration::from_secs(2))
                .wait_after(9),
            Duration::from_millis(50)
        );
        assert_eq!(spoken(Duration::from_secs(70)), "1 min 10 s");
        assert_eq!(spoken(MERAKI_PROPAGATION_LIMIT), "6 min");
        assert_eq!(spoken(Duration::from_secs(45)), "45 s");
        assert_eq!(spoken(Duration::from_millis(120)), "120 ms");
    }

    #[tokio::test]
    async fn progress_reaches_the_sink_of_the_calling_task_only() {
        let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
        let into = seen.clone();
        let sink: ProgressSink = Arc::new(move |p: RotationProgress| {
            into.lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(p.message)
        });
        let one = |message: &str| RotationProgress {
            client_id: "c".into(),
            secret_name: "s".into(),
            step: ConnectorStep::Test,
            attempt: 2,
            elapsed_ms: 0,
            limit_ms: 0,
            message: message.into(),
        };
        report(one("outside"));
        with_progress(sink, async { report(one("inside")) }).await;
        assert_eq!(*seen.lock().unwrap_or_else(|e| e.into_inner()), ["inside"]);
    }
}
