//! lethe-store's integration tests: one conformance suite, run on SQLite and
//! on PostgreSQL, so both backends keep the same contract.

mod callbacks;
mod conformance;
mod harness;
mod manual;
mod results;

/// Generates one `#[tokio::test]` per backend for each conformance case.
macro_rules! on_both_backends {
    ($($case:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $case() {
                    let h = crate::harness::Harness::sqlite().await;
                    crate::cases::$case(&h).await;
                    h.cleanup().await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $case() {
                    let Some(h) = crate::harness::Harness::postgres().await else { return };
                    crate::cases::$case(&h).await;
                    h.cleanup().await;
                }
            )*
        }
    };
}

on_both_backends!(
    create_and_get_round_trip,
    list_filters_and_cursor_pagination,
    transition_along_the_legal_path,
    illegal_transition_writes_nothing,
    four_eyes_refuses_the_creator,
    extend_is_bounded,
    idempotent_replay_and_key_reuse,
    expired_key_does_not_replay,
    concurrent_duplicates_create_one_request,
    list_audit_filters_and_pages,
    audit_verifies_an_untouched_chain,
    audit_detects_altered_data,
    audit_detects_a_deleted_middle_event,
    audit_detects_a_deleted_last_event,
    audit_detects_a_forged_appended_event,
    audit_holds_no_identifier_values,
    steps_insert_is_idempotent,
    steps_claim_each_due_step_once,
    steps_concurrent_claimers_never_share_a_step,
    steps_completion_is_fenced,
    steps_transient_retries_until_max_attempts,
    steps_expired_lease_is_rescued,
    steps_release_puts_steps_back,
    proposals_are_searched_once_accepted,
    step_detail_and_output_round_trip,
    work_signal_wakes_workers_here_and_elsewhere,
    retention_destroys_clear_values_of_closed_requests_only,
    manual_step_is_confirmed_once,
    manual_step_declined_keeps_the_note_out_of_the_audit,
    manual_step_errors_name_what_is_wrong,
    webhook_delivery_replays_and_creates_once,
    status_changes_write_outbox_events_in_order,
    expired_callback_lease_is_claimed_again,
);

/// Every case, wherever it is written.
mod cases {
    pub use crate::callbacks::*;
    pub use crate::conformance::*;
    pub use crate::manual::*;
    pub use crate::results::*;
}
