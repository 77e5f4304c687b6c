use lethe_domain::{
    RequestEvent, RequestKind, RequestStatus, StepAction, StepStatus, Strategy, TargetInfo,
};
use serde_json::json;

use crate::*;

fn target(name: &str, strategy: Strategy) -> TargetInfo {
    TargetInfo {
        connector: "files".into(),
        name: name.into(),
        strategy,
        description: String::new(),
        purposes: vec![],
        recipients: vec![],
        retention: String::new(),
        caveats: Vec::new(),
    }
}

fn catalog() -> Vec<TargetInfo> {
    vec![
        target("logs", Strategy::Redact),
        target(
            "billing",
            Strategy::Retain {
                ground: "tax law".into(),
            },
        ),
        target("pad", Strategy::Redact),
    ]
}

fn req(kind: RequestKind, status: RequestStatus) -> RequestState {
    RequestState {
        kind,
        status,
        include_weak: false,
        approved: false,
        generation: 0,
    }
}

fn step(key: &str, status: StepStatus, matched: i64, weak: u64) -> StepState {
    StepState {
        key: key.into(),
        status,
        matched: Some(matched),
        remaining: None,
        detail: Some(json!({"weak": weak, "places": []})),
    }
}

fn keys(a: &Advance) -> Vec<&str> {
    a.steps.iter().map(|s| s.key.as_str()).collect()
}

fn discovered(logs: i64, billing: i64, pad_weak: u64) -> Vec<StepState> {
    vec![
        step("discover:files:logs", StepStatus::Succeeded, logs, 0),
        step("discover:files:billing", StepStatus::Succeeded, billing, 0),
        step("discover:files:pad", StepStatus::Succeeded, 0, pad_weak),
    ]
}

#[test]
fn received_plans_one_discovery_per_target() {
    let a = advance(
        &req(RequestKind::Erasure, RequestStatus::Received),
        &[],
        &catalog(),
        &Policy::default(),
    );
    assert_eq!(a.event, Some(RequestEvent::StartPlanning));
    assert_eq!(
        keys(&a),
        [
            "discover:files:logs",
            "discover:files:billing",
            "discover:files:pad"
        ]
    );
}

#[test]
fn planning_waits_then_asks_for_approval_or_fails() {
    let policy = Policy::default();
    let r = req(RequestKind::Erasure, RequestStatus::Planning);
    let mut steps = discovered(3, 0, 0);
    steps[1].status = StepStatus::Retrying;
    assert_eq!(advance(&r, &steps, &catalog(), &policy), Advance::default());
    steps[1].status = StepStatus::Succeeded;
    assert_eq!(
        advance(&r, &steps, &catalog(), &policy).event,
        Some(RequestEvent::PlanNeedsApproval)
    );
    let access = req(RequestKind::Access, RequestStatus::Planning);
    assert_eq!(
        advance(&access, &steps, &catalog(), &policy).event,
        Some(RequestEvent::PlanReady)
    );
    steps[2].status = StepStatus::Failed;
    assert_eq!(
        advance(&r, &steps, &catalog(), &policy).event,
        Some(RequestEvent::Fail)
    );
}

#[test]
fn erasure_erases_then_verifies_and_retains_with_exception() {
    let policy = Policy::default();
    let mut r = req(RequestKind::Erasure, RequestStatus::Executing);
    r.approved = true;
    let mut steps = discovered(3, 2, 0);
    let a = advance(&r, &steps, &catalog(), &policy);
    // billing is retained: no erase there; nothing found in pad.
    assert_eq!(keys(&a), ["erase:files:logs"]);
    assert_eq!(a.event, None);
    steps.push(step("erase:files:logs", StepStatus::Succeeded, 3, 0));
    let a = advance(&r, &steps, &catalog(), &policy);
    assert_eq!(keys(&a), ["verify:files:logs"]);
    steps.push(step("verify:files:logs", StepStatus::Succeeded, 0, 0));
    let a = advance(&r, &steps, &catalog(), &policy);
    assert!(a.steps.is_empty());
    assert_eq!(a.event, Some(RequestEvent::CompleteWithExceptions));
}

#[test]
fn weak_matches_are_left_unless_included() {
    let mut r = req(RequestKind::Erasure, RequestStatus::Executing);
    r.approved = true;
    let cat = vec![target("pad", Strategy::Redact)];
    let steps = vec![step("discover:files:pad", StepStatus::Succeeded, 0, 2)];
    let a = advance(&r, &steps, &cat, &Policy::default());
    assert_eq!(a.event, Some(RequestEvent::CompleteWithExceptions));
    r.include_weak = true;
    assert_eq!(
        keys(&advance(&r, &steps, &cat, &Policy::default())),
        ["erase:files:pad"]
    );
}

#[test]
fn clean_erasure_completes_and_failure_fails() {
    let mut r = req(RequestKind::Erasure, RequestStatus::Executing);
    r.approved = true;
    let cat = vec![target("logs", Strategy::Redact)];
    let mut steps = vec![
        step("discover:files:logs", StepStatus::Succeeded, 1, 0),
        step("erase:files:logs", StepStatus::Succeeded, 1, 0),
        step("verify:files:logs", StepStatus::Succeeded, 0, 0),
    ];
    assert_eq!(
        advance(&r, &steps, &cat, &Policy::default()).event,
        Some(RequestEvent::Complete)
    );
    steps[2].status = StepStatus::Failed;
    assert_eq!(
        advance(&r, &steps, &cat, &Policy::default()).event,
        Some(RequestEvent::Fail)
    );
}

#[test]
fn unapproved_plan_in_executing_goes_back_to_an_approver() {
    let r = req(RequestKind::Erasure, RequestStatus::Executing);
    let a = advance(&r, &discovered(1, 0, 0), &catalog(), &Policy::default());
    assert_eq!(a.event, Some(RequestEvent::PlanNeedsApproval));
    assert!(a.steps.is_empty());
}

#[test]
fn access_exports_found_targets_only() {
    let r = req(RequestKind::Access, RequestStatus::Executing);
    let steps = discovered(3, 2, 0);
    let a = advance(&r, &steps, &catalog(), &Policy::default());
    assert_eq!(keys(&a), ["export:files:logs", "export:files:billing"]);
}

#[test]
fn accepted_identifiers_rediscover_under_a_new_generation() {
    let mut r = req(RequestKind::Erasure, RequestStatus::Planning);
    r.generation = 1;
    let a = advance(&r, &discovered(1, 0, 0), &catalog(), &Policy::default());
    assert_eq!(
        keys(&a),
        [
            "discover:files:logs:g1",
            "discover:files:billing:g1",
            "discover:files:pad:g1"
        ]
    );
    assert_eq!(a.event, None);
}

#[test]
fn plan_view_names_actions() {
    let mut r = req(RequestKind::Erasure, RequestStatus::Executing);
    r.approved = true;
    let v = plan_view(&r, &discovered(3, 2, 1), &catalog(), &Policy::default());
    let actions: Vec<_> = v.targets.iter().map(|t| t.action).collect();
    assert_eq!(
        actions,
        [
            TargetAction::Erase,
            TargetAction::Retain,
            TargetAction::None
        ]
    );
    assert_eq!(v.targets[2].weak, 1);
    let v = plan_view(&r, &[], &catalog(), &Policy::default());
    assert!(v
        .targets
        .iter()
        .all(|t| t.action == TargetAction::AwaitingDiscovery));
}

#[test]
fn step_keys_are_stable() {
    let t = target("logs", Strategy::Redact);
    assert_eq!(step_key(StepAction::Erase, &t, 3), "erase:files:logs");
    assert_eq!(step_key(StepAction::Discover, &t, 0), "discover:files:logs");
    assert_eq!(
        step_key(StepAction::Discover, &t, 2),
        "discover:files:logs:g2"
    );
}
