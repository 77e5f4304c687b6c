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
        manual_for: Vec::new(),
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

fn manual(name: &str, on: &[RequestKind]) -> TargetInfo {
    TargetInfo {
        connector: "manual".into(),
        manual_for: on.to_vec(),
        ..target(name, Strategy::Delete)
    }
}

/// logs (automated) and two manual targets, one for erasure only.
fn mixed_catalog() -> Vec<TargetInfo> {
    vec![
        target("logs", Strategy::Redact),
        manual("dialogflow", &[RequestKind::Erasure]),
        manual("wfm", &[RequestKind::Access, RequestKind::Erasure]),
    ]
}

fn executing_erasure() -> RequestState {
    let mut r = req(RequestKind::Erasure, RequestStatus::Executing);
    r.approved = true;
    r
}

#[test]
fn manual_targets_are_not_discovered_and_do_not_hold_up_planning() {
    let policy = Policy::default();
    let r = req(RequestKind::Erasure, RequestStatus::Received);
    assert_eq!(
        keys(&advance(&r, &[], &mixed_catalog(), &policy)),
        ["discover:files:logs"]
    );
    let r = req(RequestKind::Erasure, RequestStatus::Planning);
    let steps = vec![step("discover:files:logs", StepStatus::Succeeded, 0, 0)];
    assert_eq!(
        advance(&r, &steps, &mixed_catalog(), &policy).event,
        Some(RequestEvent::PlanNeedsApproval)
    );
}

#[test]
fn executing_plans_one_manual_step_per_manual_target_of_the_kind() {
    let policy = Policy::default();
    let steps = vec![step("discover:files:logs", StepStatus::Succeeded, 2, 0)];
    let a = advance(&executing_erasure(), &steps, &mixed_catalog(), &policy);
    assert_eq!(
        keys(&a),
        [
            "erase:files:logs",
            "manual:manual:dialogflow",
            "manual:manual:wfm"
        ]
    );
    assert_eq!(a.steps[1].action, StepAction::Manual);
    assert_eq!(a.event, None);
    let access = req(RequestKind::Access, RequestStatus::Executing);
    let a = advance(&access, &steps, &mixed_catalog(), &policy);
    assert_eq!(keys(&a), ["export:files:logs", "manual:manual:wfm"]);
}

/// The automated part done; the manual steps in the given statuses.
fn with_manual(dialogflow: StepStatus, wfm: StepStatus) -> Vec<StepState> {
    vec![
        step("discover:files:logs", StepStatus::Succeeded, 1, 0),
        step("erase:files:logs", StepStatus::Succeeded, 1, 0),
        step("verify:files:logs", StepStatus::Succeeded, 0, 0),
        step("manual:manual:dialogflow", dialogflow, 0, 0),
        step("manual:manual:wfm", wfm, 0, 0),
    ]
}

#[test]
fn a_request_waits_for_its_manual_steps() {
    let policy = Policy::default();
    for waiting in [StepStatus::Pending, StepStatus::AwaitingManual] {
        let steps = with_manual(StepStatus::Succeeded, waiting);
        let a = advance(&executing_erasure(), &steps, &mixed_catalog(), &policy);
        assert_eq!(a, Advance::default(), "{waiting:?}");
    }
}

#[test]
fn confirmed_manual_steps_complete_and_a_declined_one_is_an_exception() {
    let policy = Policy::default();
    let done = with_manual(StepStatus::Succeeded, StepStatus::Succeeded);
    assert_eq!(
        advance(&executing_erasure(), &done, &mixed_catalog(), &policy).event,
        Some(RequestEvent::Complete)
    );
    let declined = with_manual(StepStatus::Succeeded, StepStatus::Skipped);
    assert_eq!(
        advance(&executing_erasure(), &declined, &mixed_catalog(), &policy).event,
        Some(RequestEvent::CompleteWithExceptions)
    );
}

#[test]
fn a_catalog_of_manual_targets_only_goes_straight_to_its_manual_steps() {
    let cat = vec![manual("backups", &[RequestKind::Erasure])];
    let a = advance(&executing_erasure(), &[], &cat, &Policy::default());
    assert_eq!(keys(&a), ["manual:manual:backups"]);
    let r = req(RequestKind::Erasure, RequestStatus::Planning);
    assert_eq!(
        advance(&r, &[], &cat, &Policy::default()).event,
        Some(RequestEvent::PlanNeedsApproval)
    );
}

#[test]
fn plan_view_shows_manual_targets_with_their_step() {
    let steps = with_manual(StepStatus::AwaitingManual, StepStatus::Skipped);
    let v = plan_view(
        &executing_erasure(),
        &steps,
        &mixed_catalog(),
        &Policy::default(),
    );
    let actions: Vec<_> = v
        .targets
        .iter()
        .map(|t| (t.action, t.action_status))
        .collect();
    assert_eq!(
        actions,
        [
            (TargetAction::Erase, Some(StepStatus::Succeeded)),
            (TargetAction::Manual, Some(StepStatus::AwaitingManual)),
            (TargetAction::Manual, Some(StepStatus::Skipped)),
        ]
    );
    assert_eq!(v.targets[1].discovery, None);
    let access = req(RequestKind::Access, RequestStatus::Executing);
    let v = plan_view(&access, &[], &mixed_catalog(), &Policy::default());
    let actions: Vec<_> = v.targets.iter().map(|t| t.action).collect();
    assert_eq!(
        actions,
        [
            TargetAction::AwaitingDiscovery,
            TargetAction::None,
            TargetAction::Manual
        ]
    );
    assert_eq!(
        step_key(StepAction::Manual, &mixed_catalog()[1], 2),
        "manual:manual:dialogflow"
    );
}

#[test]
fn follow_ups_of_discovery_get_a_manual_step_the_erasure_waits_for() {
    let catalog = vec![target("recordings", Strategy::Redact)];
    let mut found = step("discover:files:recordings", StepStatus::Succeeded, 2, 0);
    found.detail = Some(json!({"weak": 0, "places": [], "follow_ups": 1}));
    let r = RequestState {
        approved: true,
        ..req(RequestKind::Erasure, RequestStatus::Executing)
    };
    let a = advance(&r, &[found.clone()], &catalog, &Policy::default());
    assert_eq!(
        keys(&a),
        ["manual:files:recordings", "erase:files:recordings"]
    );
    assert_eq!(a.event, None);
    // Erased and verified, the manual step still open: the request waits.
    let done = |manual: StepStatus| {
        vec![
            found.clone(),
            step("erase:files:recordings", StepStatus::Succeeded, 0, 0),
            step("verify:files:recordings", StepStatus::Succeeded, 0, 0),
            step("manual:files:recordings", manual, 0, 0),
        ]
    };
    let a = advance(
        &r,
        &done(StepStatus::AwaitingManual),
        &catalog,
        &Policy::default(),
    );
    assert_eq!(a.event, None);
    let a = advance(
        &r,
        &done(StepStatus::Succeeded),
        &catalog,
        &Policy::default(),
    );
    assert_eq!(a.event, Some(RequestEvent::Complete));
    let a = advance(&r, &done(StepStatus::Skipped), &catalog, &Policy::default());
    assert_eq!(a.event, Some(RequestEvent::CompleteWithExceptions));
    // Access requests plan no such step.
    let acc = RequestState {
        approved: true,
        ..req(RequestKind::Access, RequestStatus::Executing)
    };
    let a = advance(&acc, &[found], &catalog, &Policy::default());
    assert_eq!(keys(&a), ["export:files:recordings"]);
}
