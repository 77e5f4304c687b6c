//! lethe's planner. A plan is never computed once and stored: it is a pure
//! function of the request, the steps it already has and the catalog of
//! targets. [`advance`] returns the steps that should exist next and the
//! lifecycle event that is due. Inserting steps is idempotent on their keys
//! and events are fenced on the status they were computed from, so the
//! worker can call it after every batch, after a crash, from several
//! processes at once, and nothing is planned twice.
//!
//! The order of work (SPEC §3):
//! 1. `received`: a `discover` step per target; event `start_planning`.
//! 2. `planning`: once every discovery succeeded, `plan_needs_approval`
//!    (policy asks for four eyes) or `plan_ready`; a failed discovery fails
//!    the request (`retry` re-runs it).
//! 3. `executing`, access: an `export` step per target where the subject was
//!    found; erasure: an `erase` step per target with something to erase
//!    (not `retain`), and a `verify` step after each erase succeeded.
//!    Manual targets (done by a person) are never discovered; once
//!    executing, each one whose `manual_for` names the request kind gets
//!    one `manual` step, which waits in `awaiting_manual` for an approver.
//!    An erasure whose discovery reported follow-ups (work for a person,
//!    such as a recording stored beyond every configured root) gets a
//!    `manual` step on that target too.
//! 4. When every step is finished: `complete`, `complete_with_exceptions`
//!    (something retained, weak matches left, a step skipped, which is
//!    what a declined manual step is) or `fail`. A manual step nobody has
//!    confirmed or declined yet keeps the request executing.

mod view;

use lethe_domain::{RequestEvent, RequestKind, RequestStatus, StepAction, StepStatus, TargetInfo};

pub use view::{plan_view, PlanTarget, PlanView, TargetAction};

/// What the operator decided in `lethe.toml`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    /// Request kinds whose plan waits for an approver (four eyes).
    pub approval_for: Vec<RequestKind>,
    /// Erase name-only matches without asking (off by default: a name alone
    /// may be someone else's).
    pub erase_weak_matches: bool,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            approval_for: vec![RequestKind::Erasure],
            erase_weak_matches: false,
        }
    }
}

/// The request as the planner needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestState {
    pub kind: RequestKind,
    pub status: RequestStatus,
    /// An approver allowed erasing weak matches.
    pub include_weak: bool,
    /// An approver approved this request's plan.
    pub approved: bool,
    /// Accepted proposals so far: each acceptance re-runs discovery under a
    /// new generation of step keys.
    pub generation: u32,
}

/// A step as the planner needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepState {
    pub key: String,
    pub status: StepStatus,
    pub matched: Option<i64>,
    pub remaining: Option<i64>,
    /// The connector's detail: `{"weak": n, "places": [...]}` for discovery.
    pub detail: Option<serde_json::Value>,
}

impl StepState {
    /// Name-only matches, from the detail.
    pub fn weak(&self) -> u64 {
        self.count("weak")
    }

    /// Things discovery found for a person to do, from the detail.
    pub fn follow_ups(&self) -> u64 {
        self.count("follow_ups")
    }

    fn count(&self, field: &str) -> u64 {
        self.detail
            .as_ref()
            .and_then(|d| d.get(field))
            .and_then(serde_json::Value::as_u64)
            .unwrap_or(0)
    }
}

/// A step the plan needs that may not exist yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedStep {
    pub key: String,
    pub connector: String,
    pub target: String,
    pub action: StepAction,
}

/// What is due now.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Advance {
    /// Steps to insert (idempotent: existing keys are left alone).
    pub steps: Vec<PlannedStep>,
    /// The lifecycle event to apply, if one is due.
    pub event: Option<RequestEvent>,
}

/// The key of a step: `action:connector:target`, with the discovery
/// generation appended to discovery keys after identifiers were accepted.
pub fn step_key(action: StepAction, target: &TargetInfo, generation: u32) -> String {
    let base = format!("{}:{}", action_name(action), target.key());
    if action == StepAction::Discover && generation > 0 {
        format!("{base}:g{generation}")
    } else {
        base
    }
}

/// The action's name as used in step keys.
pub fn action_name(action: StepAction) -> &'static str {
    match action {
        StepAction::Discover => "discover",
        StepAction::Export => "export",
        StepAction::Erase => "erase",
        StepAction::Verify => "verify",
        StepAction::Manual => "manual",
    }
}

/// Whether weak matches are erased for this request.
pub fn include_weak(req: &RequestState, policy: &Policy) -> bool {
    req.include_weak || policy.erase_weak_matches
}

fn planned(action: StepAction, t: &TargetInfo, generation: u32) -> PlannedStep {
    PlannedStep {
        key: step_key(action, t, generation),
        connector: t.connector.clone(),
        target: t.name.clone(),
        action,
    }
}

fn finished(s: StepStatus) -> bool {
    matches!(
        s,
        StepStatus::Succeeded | StepStatus::Failed | StepStatus::Skipped
    )
}

/// The next steps and event for a request. See the crate docs.
pub fn advance(
    req: &RequestState,
    steps: &[StepState],
    catalog: &[TargetInfo],
    policy: &Policy,
) -> Advance {
    let find = |key: &str| steps.iter().find(|s| s.key == key);
    // Manual targets are done by a person: nothing to discover, and they
    // do not hold up planning.
    let discoveries: Vec<(&TargetInfo, Option<&StepState>)> = catalog
        .iter()
        .filter(|t| !t.is_manual())
        .map(|t| (t, find(&step_key(StepAction::Discover, t, req.generation))))
        .collect();
    let missing_discovery: Vec<PlannedStep> = discoveries
        .iter()
        .filter(|(_, s)| s.is_none())
        .map(|(t, _)| planned(StepAction::Discover, t, req.generation))
        .collect();
    let all_discovered = discoveries
        .iter()
        .all(|(_, s)| s.is_some_and(|s| s.status == StepStatus::Succeeded));
    let discovery_failed = discoveries
        .iter()
        .any(|(_, s)| s.is_some_and(|s| s.status == StepStatus::Failed));
    let needs_approval = policy.approval_for.contains(&req.kind) && !req.approved;
    match req.status {
        RequestStatus::Received => Advance {
            steps: missing_discovery,
            event: Some(RequestEvent::StartPlanning),
        },
        RequestStatus::Planning => {
            let event = if !missing_discovery.is_empty() {
                None
            } else if discovery_failed {
                Some(RequestEvent::Fail)
            } else if all_discovered {
                Some(if needs_approval {
                    RequestEvent::PlanNeedsApproval
                } else {
                    RequestEvent::PlanReady
                })
            } else {
                None
            };
            Advance {
                steps: missing_discovery,
                event,
            }
        }
        RequestStatus::Executing if !missing_discovery.is_empty() || !all_discovered => Advance {
            steps: missing_discovery,
            event: discovery_failed.then_some(RequestEvent::Fail),
        },
        RequestStatus::Executing if needs_approval => Advance {
            steps: Vec::new(),
            event: Some(RequestEvent::PlanNeedsApproval),
        },
        RequestStatus::Executing => execute(req, &discoveries, catalog, steps, policy),
        _ => Advance::default(),
    }
}

/// The executing phase: actions per target, then the closing event.
fn execute(
    req: &RequestState,
    discoveries: &[(&TargetInfo, Option<&StepState>)],
    catalog: &[TargetInfo],
    steps: &[StepState],
    policy: &Policy,
) -> Advance {
    let find = |key: &str| steps.iter().find(|s| s.key == key);
    let weak_included = include_weak(req, policy);
    let mut t = Tally::default();
    for (target, d) in discoveries {
        let Some(d) = d else { continue };
        let strong = d.matched.unwrap_or(0).max(0) as u64;
        match req.kind {
            RequestKind::Access => {
                t.exceptions |= d.weak() > 0;
                if strong > 0 {
                    let p = planned(StepAction::Export, target, req.generation);
                    t.track(find(&p.key), p);
                }
            }
            RequestKind::Erasure => {
                let to_erase = strong + if weak_included { d.weak() } else { 0 };
                t.exceptions |= d.weak() > 0 && !weak_included;
                // Found work only a person can do (a recording stored
                // beyond every configured root): a manual step beside the
                // erasure, which the request waits for.
                if d.follow_ups() > 0 {
                    let p = planned(StepAction::Manual, target, req.generation);
                    t.track(find(&p.key), p);
                }
                if target.strategy.is_retain() {
                    t.exceptions |= to_erase > 0;
                    continue;
                }
                if to_erase == 0 {
                    continue;
                }
                let erase = planned(StepAction::Erase, target, req.generation);
                if t.track(find(&erase.key), erase) == Some(StepStatus::Succeeded) {
                    let verify = planned(StepAction::Verify, target, req.generation);
                    t.track(find(&verify.key), verify);
                }
            }
        }
    }
    // `awaiting_manual` is not finished, so the request waits for the
    // approver; a declined step is `skipped`, an exception.
    for target in manual_targets(catalog, req.kind) {
        let p = planned(StepAction::Manual, target, req.generation);
        t.track(find(&p.key), p);
    }
    let event = if t.pending {
        None
    } else if t.failed {
        Some(RequestEvent::Fail)
    } else if t.exceptions {
        Some(RequestEvent::CompleteWithExceptions)
    } else {
        Some(RequestEvent::Complete)
    };
    Advance {
        steps: t.out,
        event,
    }
}

/// The manual targets a request of `kind` needs a person for.
pub fn manual_targets(
    catalog: &[TargetInfo],
    kind: RequestKind,
) -> impl Iterator<Item = &TargetInfo> {
    catalog.iter().filter(move |t| t.manual_for.contains(&kind))
}

/// What the executing phase has seen so far.
#[derive(Default)]
struct Tally {
    out: Vec<PlannedStep>,
    pending: bool,
    failed: bool,
    exceptions: bool,
}

impl Tally {
    /// Plans `p` if it does not exist; returns its status once finished.
    fn track(&mut self, existing: Option<&StepState>, p: PlannedStep) -> Option<StepStatus> {
        match existing {
            None => {
                self.out.push(p);
                self.pending = true;
                None
            }
            Some(s) if !finished(s.status) => {
                self.pending = true;
                None
            }
            Some(s) => {
                self.failed |= s.status == StepStatus::Failed;
                self.exceptions |= s.status == StepStatus::Skipped;
                Some(s.status)
            }
        }
    }
}

#[cfg(test)]
mod tests;
