//! A small estate's evidence: strong and weak matches, a retained target,
//! a target with nothing found, and content that tries to break out of
//! HTML.

use chrono::{DateTime, Utc};
use lethe_domain::{
    IdentifierKind, Replacement, RequestKind, RequestStatus, StepStatus, Strategy, TargetInfo,
};
use lethe_evidence::{IdentifierHint, ManualEvidence, PlaceCount, RequestEvidence, TargetEvidence};
use serde_json::json;
use uuid::Uuid;

pub const HOSTILE: &str = "<script>alert(\"x\")</script>'&";

pub fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().to_utc()
}

pub fn generated_at() -> DateTime<Utc> {
    at("2026-03-04T05:06:08Z")
}

pub fn info(connector: &str, name: &str, strategy: Strategy) -> TargetInfo {
    TargetInfo {
        connector: connector.to_owned(),
        name: name.to_owned(),
        strategy,
        description: format!("{connector} {name} store"),
        purposes: vec![format!("{name} purpose")],
        recipients: vec![format!("{name} recipient")],
        retention: format!("{name} retention"),
        caveats: Vec::new(),
        manual_for: Vec::new(),
    }
}

pub fn place(place: &str, items: u64, weak: u64) -> PlaceCount {
    PlaceCount {
        place: place.to_owned(),
        items,
        weak,
    }
}

/// Console logs: 3 strong (two places), 1 weak; records with hostile content.
pub fn console_logs() -> TargetEvidence {
    let mut t = TargetEvidence::new(info("files", "console-logs", Strategy::Redact));
    t.target.description = format!("Console logs {HOSTILE}");
    t.discover_status = Some(StepStatus::Succeeded);
    t.export_status = Some(StepStatus::Succeeded);
    t.found = 3;
    t.weak = 1;
    t.places = vec![
        place("2026/01/console.log", 2, 0),
        place("2026/02/console.log", 1, 0),
        place("2026/03/<weak>.log", 0, 1),
    ];
    t.records = vec![
        json!({"place": "2026/01/console.log", "line": 10, "content": HOSTILE}),
        json!({"place": "2026/01/console.log", "line": 11, "content": "call from +441632960123"}),
        json!({"place": "2026/02/console.log", "line": 3, "content": "agent note", "extra": {"a": [1, 2]}}),
    ];
    t
}

/// CRM contacts: 2 strong, anonymised with a token.
pub fn contacts() -> TargetEvidence {
    let mut t = TargetEvidence::new(info(
        "mssql",
        "contacts",
        Strategy::Anonymise {
            with: Replacement::Token("[ERASED]".to_owned()),
        },
    ));
    t.discover_status = Some(StepStatus::Succeeded);
    t.export_status = Some(StepStatus::Succeeded);
    t.found = 2;
    t.places = vec![place("dbo.Contacts", 2, 0)];
    t.records = vec![
        json!({"table": "dbo.Contacts", "ContactId": 7, "Email": "jane@example.com", "Phone": null}),
        json!({"table": "dbo.Contacts", "ContactId": 9, "Email": "jane@example.com", "Phone": "+441632960123"}),
    ];
    t
}

/// Chat transcripts: searched, nothing found.
pub fn chats() -> TargetEvidence {
    let mut t = TargetEvidence::new(info("elasticsearch", "chats", Strategy::Delete));
    t.discover_status = Some(StepStatus::Succeeded);
    t.export_status = Some(StepStatus::Skipped);
    t
}

/// Billing: kept for a legal ground.
pub fn billing() -> TargetEvidence {
    let mut t = TargetEvidence::new(info(
        "postgres",
        "billing",
        Strategy::Retain {
            ground: "billing records, 6 years, HMRC".to_owned(),
        },
    ));
    t.discover_status = Some(StepStatus::Succeeded);
    t.export_status = Some(StepStatus::Succeeded);
    t.found = 2;
    t.places = vec![place("invoices", 2, 0)];
    t.records = vec![json!({"invoice": "INV-1"}), json!({"invoice": "INV-2"})];
    t
}

pub fn request(kind: RequestKind, targets: Vec<TargetEvidence>) -> RequestEvidence {
    RequestEvidence {
        request_id: Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0001),
        kind,
        status: RequestStatus::Completed,
        received_at: at("2026-02-01T09:00:00Z"),
        due_at: at("2026-03-01T09:00:00Z"),
        completed_at: Some(at("2026-03-01T08:00:00Z")),
        identifiers: vec![
            IdentifierHint {
                kind: IdentifierKind::Email,
                hint: "j***@***.com".to_owned(),
            },
            IdentifierHint {
                kind: IdentifierKind::Phone,
                hint: "+44******123".to_owned(),
            },
        ],
        targets,
        manual: vec![ManualEvidence {
            name: "recording-vendor".to_owned(),
            description: "Ask the recording vendor to purge call recordings".to_owned(),
            recipient: "Acme Recording Ltd".to_owned(),
            status: StepStatus::Succeeded,
            note: Some(format!("ticket 42 for jane@example.com {HOSTILE}")),
        }],
    }
}

/// An access request over all four targets.
pub fn access_request() -> RequestEvidence {
    request(
        RequestKind::Access,
        vec![console_logs(), contacts(), chats(), billing()],
    )
}
