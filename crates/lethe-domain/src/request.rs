//! Request kinds, request and step statuses, and the one state machine that
//! says which request transitions are legal.
//!
//! Every component that changes a request's status goes through
//! [`RequestStatus::apply`], so the API, the planner and the workers cannot
//! disagree about what is allowed.

use chrono::{DateTime, Months, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// What the data subject asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RequestKind {
    /// Right of access (Art. 15) and portability (Art. 20): export everything found.
    Access,
    /// Right to erasure (Art. 17): erase, anonymise or redact everything found, then verify.
    Erasure,
}

/// Where a request is in its lifecycle (SPEC §3).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum RequestStatus {
    /// Accepted and stored; nothing planned yet.
    Received,
    /// Discovery is running to build the plan.
    Planning,
    /// The plan waits for a second person (four-eyes) to approve it.
    AwaitingApproval,
    /// Steps are running.
    Executing,
    /// Every step succeeded and every erasure was verified.
    Completed,
    /// Done, but something was retained under a legal ground or a manual step was declined.
    CompletedWithExceptions,
    /// A step exhausted its retries; `retry` re-runs it.
    Failed,
    /// Withdrawn by the requester, with a reason.
    Cancelled,
    /// Refused by an approver, with a reason (e.g. identity not verified, Art. 12(6)).
    Rejected,
}

/// Something that happens to a request; [`RequestStatus::apply`] decides whether it may.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestEvent {
    /// The planner picked the request up.
    StartPlanning,
    /// The plan is ready and policy wants a second person to approve it.
    PlanNeedsApproval,
    /// The plan is ready and may run without approval.
    PlanReady,
    /// An approver accepted the plan.
    Approve,
    /// An approver refused the request.
    Reject,
    /// The requester withdrew the request.
    Cancel,
    /// Accepted extra identifiers send an approved-but-not-run plan back to planning.
    Replan,
    /// All steps finished cleanly.
    Complete,
    /// All steps finished, some with documented exceptions.
    CompleteWithExceptions,
    /// A step failed for good.
    Fail,
    /// Failed steps are to run again.
    Retry,
}

impl RequestEvent {
    /// The name used in audit events and error messages.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::StartPlanning => "start_planning",
            Self::PlanNeedsApproval => "plan_needs_approval",
            Self::PlanReady => "plan_ready",
            Self::Approve => "approve",
            Self::Reject => "reject",
            Self::Cancel => "cancel",
            Self::Replan => "replan",
            Self::Complete => "complete",
            Self::CompleteWithExceptions => "complete_with_exceptions",
            Self::Fail => "fail",
            Self::Retry => "retry",
        }
    }
}

/// A transition the state machine does not allow; the API answers 409.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a request that is {from} cannot {}", event.as_str())]
pub struct IllegalTransition {
    /// The status the request is in.
    pub from: RequestStatus,
    /// What was attempted.
    pub event: RequestEvent,
}

impl RequestStatus {
    /// Every status, in lifecycle order (for docs, filters and exhaustive tests).
    pub const ALL: [RequestStatus; 9] = [
        Self::Received,
        Self::Planning,
        Self::AwaitingApproval,
        Self::Executing,
        Self::Completed,
        Self::CompletedWithExceptions,
        Self::Failed,
        Self::Cancelled,
        Self::Rejected,
    ];

    /// The wire and database name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Received => "received",
            Self::Planning => "planning",
            Self::AwaitingApproval => "awaiting_approval",
            Self::Executing => "executing",
            Self::Completed => "completed",
            Self::CompletedWithExceptions => "completed_with_exceptions",
            Self::Failed => "failed",
            Self::Cancelled => "cancelled",
            Self::Rejected => "rejected",
        }
    }

    /// Parses the wire and database name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// A terminal request never changes status again; its identifiers become
    /// eligible for destruction after the retention period.
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            Self::Completed | Self::CompletedWithExceptions | Self::Cancelled | Self::Rejected
        )
    }

    /// The state machine: the status after `event`, or why not.
    ///
    /// Rejection is possible until execution starts (an approver may refuse
    /// a request whose identity check failed before any plan exists).
    /// Cancellation is possible from every non-terminal status.
    pub fn apply(self, event: RequestEvent) -> Result<RequestStatus, IllegalTransition> {
        use RequestEvent as E;
        use RequestStatus as S;
        let next = match (self, event) {
            (S::Received, E::StartPlanning) => S::Planning,
            (S::Planning, E::PlanNeedsApproval) => S::AwaitingApproval,
            (S::Planning, E::PlanReady) => S::Executing,
            (S::Planning, E::Fail) => S::Failed,
            (S::AwaitingApproval, E::Approve) => S::Executing,
            (S::AwaitingApproval, E::Replan) => S::Planning,
            (S::Received | S::Planning | S::AwaitingApproval, E::Reject) => S::Rejected,
            // A retried discovery of a failed plan lands in `executing`; a
            // plan that was never approved must still go to an approver.
            (S::Executing, E::PlanNeedsApproval) => S::AwaitingApproval,
            (S::Executing, E::Complete) => S::Completed,
            (S::Executing, E::CompleteWithExceptions) => S::CompletedWithExceptions,
            (S::Executing, E::Fail) => S::Failed,
            (S::Failed, E::Retry) => S::Executing,
            (s, E::Cancel) if !s.is_terminal() => S::Cancelled,
            (from, event) => return Err(IllegalTransition { from, event }),
        };
        Ok(next)
    }
}

impl std::fmt::Display for RequestStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl RequestKind {
    /// The wire and database name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Access => "access",
            Self::Erasure => "erasure",
        }
    }

    /// Parses the wire and database name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "access" => Some(Self::Access),
            "erasure" => Some(Self::Erasure),
            _ => None,
        }
    }
}

/// Art. 12(3): a controller answers within one month of receipt.
pub fn default_due_at(received_at: DateTime<Utc>) -> DateTime<Utc> {
    received_at
        .checked_add_months(Months::new(1))
        .unwrap_or(received_at)
}

/// Art. 12(3): the period may be extended by two further months, no more.
/// The bound is measured from the original due date, so several smaller
/// extensions cannot add up past it.
pub fn latest_extended_due_at(original_due_at: DateTime<Utc>) -> DateTime<Utc> {
    original_due_at
        .checked_add_months(Months::new(2))
        .unwrap_or(original_due_at)
}

/// The status of one step of a plan (SPEC §3).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum StepStatus {
    /// Waiting for a worker.
    Pending,
    /// Leased by a worker.
    Running,
    /// Failed transiently; waiting for its backoff to pass.
    Retrying,
    /// Did its work (and, for erasure, the verify step found nothing left).
    Succeeded,
    /// Exhausted its attempts or failed permanently.
    Failed,
    /// Not run, with a reason.
    Skipped,
    /// Waits for a person to confirm or decline it.
    AwaitingManual,
}

impl StepStatus {
    /// Every step status, for counts that always list all of them.
    pub const ALL: [StepStatus; 7] = [
        Self::Pending,
        Self::Running,
        Self::Retrying,
        Self::Succeeded,
        Self::Failed,
        Self::Skipped,
        Self::AwaitingManual,
    ];

    /// The wire and database name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Running => "running",
            Self::Retrying => "retrying",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
            Self::Skipped => "skipped",
            Self::AwaitingManual => "awaiting_manual",
        }
    }

    /// Parses the wire and database name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|st| st.as_str() == s)
    }
}

/// What a step does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum StepAction {
    /// Find where the subject appears in one target.
    Discover,
    /// Copy what was found into the access package.
    Export,
    /// Delete, anonymise or redact what was found.
    Erase,
    /// Re-run discovery after an erase and expect nothing left.
    Verify,
    /// Work a person does outside lethe, confirmed through the API.
    Manual,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_statuses_accept_no_event() {
        let events = [
            RequestEvent::StartPlanning,
            RequestEvent::PlanNeedsApproval,
            RequestEvent::PlanReady,
            RequestEvent::Approve,
            RequestEvent::Reject,
            RequestEvent::Cancel,
            RequestEvent::Replan,
            RequestEvent::Complete,
            RequestEvent::CompleteWithExceptions,
            RequestEvent::Fail,
            RequestEvent::Retry,
        ];
        for status in RequestStatus::ALL.into_iter().filter(|s| s.is_terminal()) {
            for event in events {
                assert_eq!(
                    status.apply(event),
                    Err(IllegalTransition {
                        from: status,
                        event
                    })
                );
            }
        }
    }

    #[test]
    fn happy_paths() {
        let s = RequestStatus::Received;
        let s = s.apply(RequestEvent::StartPlanning).unwrap();
        let s = s.apply(RequestEvent::PlanNeedsApproval).unwrap();
        assert_eq!(s, RequestStatus::AwaitingApproval);
        let s = s.apply(RequestEvent::Approve).unwrap();
        assert_eq!(s, RequestStatus::Executing);
        assert_eq!(
            s.apply(RequestEvent::Complete),
            Ok(RequestStatus::Completed)
        );
    }

    #[test]
    fn approve_needs_a_plan() {
        let err = RequestStatus::Received
            .apply(RequestEvent::Approve)
            .unwrap_err();
        assert_eq!(err.to_string(), "a request that is received cannot approve");
    }

    #[test]
    fn reject_and_cancel_before_execution() {
        assert_eq!(
            RequestStatus::Received.apply(RequestEvent::Reject),
            Ok(RequestStatus::Rejected)
        );
        assert!(RequestStatus::Executing
            .apply(RequestEvent::Reject)
            .is_err());
        assert_eq!(
            RequestStatus::Executing.apply(RequestEvent::Cancel),
            Ok(RequestStatus::Cancelled)
        );
    }

    #[test]
    fn names_round_trip() {
        for s in RequestStatus::ALL {
            assert_eq!(RequestStatus::parse(s.as_str()), Some(s));
            assert_eq!(serde_json_name(&s), s.as_str());
        }
        for s in StepStatus::ALL {
            assert_eq!(StepStatus::parse(s.as_str()), Some(s));
        }
    }

    fn serde_json_name<T: Serialize>(v: &T) -> String {
        serde_json::to_value(v)
            .unwrap()
            .as_str()
            .unwrap()
            .to_owned()
    }

    #[test]
    fn due_dates() {
        let received = DateTime::parse_from_rfc3339("2026-01-31T10:00:00Z")
            .unwrap()
            .to_utc();
        let due = default_due_at(received);
        assert_eq!(due.to_rfc3339(), "2026-02-28T10:00:00+00:00");
        assert_eq!(
            latest_extended_due_at(due).to_rfc3339(),
            "2026-04-28T10:00:00+00:00"
        );
    }
}
