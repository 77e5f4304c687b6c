//! The erasure report: arithmetic per target and in total, outcomes,
//! JSON shape, and the HTML page.

use lethe_domain::{Replacement, RequestKind, StepStatus, Strategy};
use lethe_evidence::{
    erasure_report, render_report_html, ErasureReport, RetainedBecause, TargetEvidence,
    TargetOutcome, TargetReport, VerifyOutcome, NAME_ONLY_REASON,
};
use serde_json::json;

use crate::fixtures::{self, generated_at, info, HOSTILE};

/// A discovered target of strategy `delete` with `found` strong and
/// `weak` name-only items.
fn discovered(found: u64, weak: u64) -> TargetEvidence {
    let mut t = TargetEvidence::new(info("files", "console-logs", Strategy::Delete));
    t.discover_status = Some(StepStatus::Succeeded);
    t.found = found;
    t.weak = weak;
    t
}

fn erased(mut t: TargetEvidence, remaining: u64) -> TargetEvidence {
    t.erase_status = Some(StepStatus::Succeeded);
    t.verify_status = Some(if remaining == 0 {
        StepStatus::Succeeded
    } else {
        StepStatus::Failed
    });
    t.remaining = Some(remaining);
    t
}

fn report_of(t: TargetEvidence) -> TargetReport {
    let e = fixtures::request(RequestKind::Erasure, vec![t]);
    erasure_report(&e, generated_at()).targets.remove(0)
}

/// The invariant of a verified target.
fn adds_up(t: &TargetReport) {
    let retained: u64 = t.retained.iter().map(|r| r.items).sum();
    assert_eq!(
        t.found + t.weak,
        t.erased + t.remaining.unwrap_or(0) + retained,
        "{t:?}"
    );
}

#[test]
fn verified_erasure_keeps_weak_items_that_were_not_included() {
    let t = report_of(erased(discovered(3, 1), 0));
    assert_eq!(t.outcome, TargetOutcome::Erased);
    assert_eq!(t.verify, VerifyOutcome::Passed);
    assert_eq!((t.found, t.weak, t.erased, t.remaining), (3, 1, 3, Some(0)));
    assert_eq!(t.retained.len(), 1);
    assert_eq!(t.retained[0].items, 1);
    assert_eq!(t.retained[0].because, RetainedBecause::NameOnlyMatch);
    assert_eq!(t.retained[0].reason, NAME_ONLY_REASON);
    adds_up(&t);
}

#[test]
fn included_weak_items_count_as_erased() {
    let mut t = discovered(3, 2);
    t.include_weak = true;
    let t = report_of(erased(t, 0));
    assert_eq!(t.outcome, TargetOutcome::Erased);
    assert_eq!(t.erased, 5);
    assert!(t.retained.is_empty());
    adds_up(&t);
}

#[test]
fn items_left_after_erasure_fail_the_target() {
    let t = report_of(erased(discovered(3, 0), 1));
    assert_eq!(t.outcome, TargetOutcome::Failed);
    assert_eq!(t.verify, VerifyOutcome::Failed);
    assert_eq!((t.erased, t.remaining), (2, Some(1)));
    adds_up(&t);

    // A count above zero fails verification even if the step said otherwise.
    let mut odd = erased(discovered(3, 0), 1);
    odd.verify_status = Some(StepStatus::Succeeded);
    assert_eq!(report_of(odd).verify, VerifyOutcome::Failed);
}

#[test]
fn a_failed_verify_step_fails_the_target() {
    let mut t = discovered(2, 0);
    t.erase_status = Some(StepStatus::Succeeded);
    t.verify_status = Some(StepStatus::Failed);
    t.error = Some("index chats unreachable".to_owned());
    let t = report_of(t);
    assert_eq!(t.outcome, TargetOutcome::Failed);
    assert_eq!(t.verify, VerifyOutcome::Failed);
    assert_eq!((t.erased, t.remaining), (0, None), "nothing verified");
    assert_eq!(t.error.as_deref(), Some("index chats unreachable"));
}

#[test]
fn a_failed_erase_or_discovery_fails_the_target() {
    let mut t = discovered(2, 0);
    t.erase_status = Some(StepStatus::Failed);
    assert_eq!(report_of(t).outcome, TargetOutcome::Failed);

    let mut t = TargetEvidence::new(info("mssql", "ccm", Strategy::Delete));
    t.discover_status = Some(StepStatus::Failed);
    let t = report_of(t);
    assert_eq!(t.outcome, TargetOutcome::Failed, "not 'nothing found'");
}

#[test]
fn retained_targets_keep_everything_with_their_ground() {
    let mut t = discovered(2, 1);
    t.target.strategy = Strategy::Retain {
        ground: "billing records, 6 years, HMRC".to_owned(),
    };
    let t = report_of(t);
    assert_eq!(t.outcome, TargetOutcome::Retained);
    assert_eq!(t.verify, VerifyOutcome::NotRun);
    assert_eq!((t.erased, t.remaining), (0, None));
    assert_eq!(t.retained.len(), 1);
    assert_eq!(t.retained[0].items, 3);
    assert_eq!(t.retained[0].because, RetainedBecause::LegalGround);
    assert_eq!(t.retained[0].reason, "billing records, 6 years, HMRC");
    assert_eq!(t.strategy.name, "retain");
    assert_eq!(
        t.strategy.ground.as_deref(),
        Some("billing records, 6 years, HMRC")
    );
    adds_up(&t);
}

#[test]
fn nothing_found_weak_only_and_pending() {
    let t = report_of(discovered(0, 0));
    assert_eq!(t.outcome, TargetOutcome::NothingFound);
    assert_eq!(t.verify, VerifyOutcome::NotRun);
    assert!(t.retained.is_empty());

    let t = report_of(discovered(0, 2));
    assert_eq!(
        t.outcome,
        TargetOutcome::Retained,
        "weak only, not included"
    );
    assert_eq!(t.retained[0].items, 2);

    // Erased but not yet verified.
    let mut t = discovered(2, 0);
    t.erase_status = Some(StepStatus::Succeeded);
    t.verify_status = Some(StepStatus::Pending);
    let t = report_of(t);
    assert_eq!(t.outcome, TargetOutcome::Pending);
    assert_eq!((t.erased, t.remaining), (0, None));

    // Discovery still running.
    let mut t = discovered(0, 0);
    t.discover_status = Some(StepStatus::Running);
    assert_eq!(report_of(t).outcome, TargetOutcome::Pending);
}

#[test]
fn a_passed_verification_without_a_count_means_none_left() {
    let mut t = discovered(4, 0);
    t.erase_status = Some(StepStatus::Succeeded);
    t.verify_status = Some(StepStatus::Succeeded);
    let t = report_of(t);
    assert_eq!((t.erased, t.remaining), (4, Some(0)));
    assert_eq!(t.outcome, TargetOutcome::Erased);
}

fn full_report() -> ErasureReport {
    let mut contacts = erased(fixtures::contacts(), 0);
    contacts.records.clear();
    let logs = erased(fixtures::console_logs(), 1);
    let e = fixtures::request(
        RequestKind::Erasure,
        vec![logs, contacts, fixtures::chats(), fixtures::billing()],
    );
    erasure_report(&e, generated_at())
}

#[test]
fn totals_add_up_over_targets() {
    let r = full_report();
    let keys: Vec<&str> = r.targets.iter().map(|t| t.key.as_str()).collect();
    assert_eq!(
        keys,
        [
            "elasticsearch:chats",
            "files:console-logs",
            "mssql:contacts",
            "postgres:billing"
        ]
    );
    // logs: 3 found + 1 weak, 1 left; contacts: 2 erased; billing: 2 kept.
    let t = &r.totals;
    assert_eq!(t.targets, 4);
    assert_eq!((t.found, t.weak), (7, 1));
    assert_eq!((t.erased, t.remaining, t.retained), (4, 1, 3));
    assert_eq!(t.found + t.weak, t.erased + t.remaining + t.retained);
    let o = &t.outcomes;
    assert_eq!(
        (o.erased, o.nothing_found, o.retained, o.failed, o.pending),
        (1, 1, 1, 1, 0)
    );
    assert_eq!(r.manual.len(), 1);
    assert_eq!(r.manual[0].status, StepStatus::Succeeded);
}

#[test]
fn json_shape_and_round_trip() {
    let r = full_report();
    let v = serde_json::to_value(&r).unwrap();
    assert_eq!(v["status"], "completed");
    assert_eq!(v["generated_at"], "2026-03-04T05:06:08Z");
    assert_eq!(
        v["identifiers"][0],
        json!({"kind": "email", "hint": "j***@***.com"})
    );
    let contacts = &v["targets"][2];
    assert_eq!(
        contacts["strategy"],
        json!({"name": "anonymise", "ground": null, "replacement": {"token": "[ERASED]"}})
    );
    assert_eq!(contacts["outcome"], "erased");
    assert_eq!(contacts["verify"], "passed");
    assert_eq!(v["targets"][0]["outcome"], "nothing_found");
    assert_eq!(v["targets"][1]["verify"], "failed");
    assert_eq!(
        v["targets"][1]["retained"],
        json!([{"items": 1, "because": "name_only_match", "reason": NAME_ONLY_REASON}])
    );
    assert_eq!(v["targets"][3]["retained"][0]["because"], "legal_ground");

    let back: ErasureReport = serde_json::from_value(v).unwrap();
    assert_eq!(back, r);
    // Same input, same report.
    assert_eq!(r, full_report());
}

#[test]
fn html_report_is_escaped_and_self_contained() {
    let mut r = full_report();
    r.targets[3].retained[0].reason = HOSTILE.to_owned();
    r.targets[2].strategy.replacement = Some(Replacement::Token(HOSTILE.to_owned()));
    r.targets[1].error = Some(HOSTILE.to_owned());
    r.identifiers[0].hint = HOSTILE.to_owned();
    let html = render_report_html(&r);

    assert!(html.starts_with("<!DOCTYPE html>"));
    for banned in ["<script", "<link", "src=", "href=", "http://", "https://"] {
        assert!(!html.contains(banned), "report contains {banned:?}");
    }
    assert!(!html.contains(HOSTILE));
    let escaped = "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&#39;&amp;";
    // Description, reason, token, error, hint and manual note: all escaped.
    assert!(html.matches(escaped).count() >= 6, "{html}");

    for needle in [
        "files:console-logs",
        "postgres:billing",
        "2026/01/console.log",
        "Acme Recording Ltd",
        "ticket 42",
        "<span class=\"bad\">failed</span>",
        "<span class=\"ok\">erased</span>",
        "<span class=\"warn\">retained</span>",
        "Targets erased: 1; nothing found: 1; retained: 1; failed: 1; pending: 0.",
    ] {
        assert!(html.contains(needle), "report lacks {needle:?}");
    }
    assert_eq!(html, render_report_html(&r), "deterministic");
}

#[test]
fn the_report_has_an_openapi_schema() {
    #[derive(utoipa::OpenApi)]
    #[openapi(components(schemas(ErasureReport)))]
    struct Doc;
    let doc = serde_json::to_value(<Doc as utoipa::OpenApi>::openapi()).unwrap();
    let schemas = &doc["components"]["schemas"];
    for name in [
        "ErasureReport",
        "TargetReport",
        "StrategySummary",
        "Retained",
        "TargetOutcome",
        "VerifyOutcome",
        "ManualReport",
        "PlaceCount",
        "IdentifierHint",
    ] {
        assert!(schemas.get(name).is_some(), "schema {name} missing");
    }
    assert_eq!(
        schemas["TargetOutcome"]["enum"],
        json!(["erased", "nothing_found", "retained", "failed", "pending"])
    );
}
