//! Free-text columns: searched for every identifier shape (separators,
//! case), redacted in place hit by hit, other people's mentions and the
//! rest of the text kept; LIKE metacharacters in identifiers are literal.

use lethe_connectors::postgres::PostgresTargetSpec;
use lethe_connectors::sql::{StrategyName, TableName};
use lethe_connectors::Connector;
use lethe_domain::{PhoneRegion, Subject, SubjectInput};

use crate::pg::{batch, person, PgTest};

const NOTES: [&str; 6] = [
    "Caller John Featherstone asked for a callback on 01632-960 855 after 5pm",
    "Spoke to FEATHERSTONE, JOHN about invoice 100%",
    "Max rang from +44 7700 900123 twice",
    "Transfer from (01632) 960855 to Wolfeschlegelstein, Maximilian",
    "mail from J_Smith@Example.com about the refund",
    "mail from jxsmith@example.com is someone else",
];

async fn notes() -> Option<(PgTest, PostgresTargetSpec)> {
    let t = PgTest::new().await?;
    let table = format!("{}.call_notes", t.schema);
    t.admin
        .batch_execute(&format!(
            "create table {table} (id bigserial primary key, author text, note text, written_at timestamptz default now())"
        ))
        .await
        .unwrap();
    for (i, note) in NOTES.iter().enumerate() {
        let author = if i == 2 { "CORP\\aquennell" } else { "op01" };
        t.admin
            .execute(
                &format!("insert into {table} (author, note) values ($1, $2)"),
                &[&author, note],
            )
            .await
            .unwrap();
    }
    let spec = PostgresTargetSpec {
        name: Some("call-notes".to_owned()),
        url: Some(t.url.clone().into()),
        sslmode: Some(lethe_connectors::postgres::SslMode::Disable),
        table: Some(TableName::parse(&table).unwrap()),
        key: Some("id".to_owned()),
        columns: Some(
            [(
                "author".to_owned(),
                vec![lethe_domain::IdentifierKind::DirectoryAccount],
            )]
            .into(),
        ),
        free_text: Some(vec!["note".to_owned()]),
        context: Some(vec!["written_at".to_owned()]),
        strategy: Some(StrategyName::Redact),
        ..PostgresTargetSpec::default()
    };
    Some((t, spec))
}

fn john() -> Subject {
    person(&["01632 960855"], &["John Featherstone"], &[])
}

fn smith() -> Subject {
    let input = SubjectInput {
        emails: vec!["j_smith@example.com".into()],
        ..SubjectInput::default()
    };
    Subject::parse(&input, PhoneRegion::parse("GB").unwrap()).unwrap()
}

async fn all_notes(t: &PgTest) -> Vec<String> {
    t.texts(&format!(
        "select note from {}.call_notes order by id",
        t.schema
    ))
    .await
    .into_iter()
    .map(Option::unwrap)
    .collect()
}

#[tokio::test]
async fn finds_strong_and_weak_mentions_in_free_text() {
    let Some((t, spec)) = notes().await else {
        return;
    };
    let c = t.connector(vec![spec]);
    let anna = person(&[], &[], &["corp\\aquennell"]);
    let max = person(&["07700900123"], &[], &[]);
    let found = c
        .discover("call-notes", &batch(&[john(), smith(), anna, max], false))
        .await
        .unwrap();
    let counts: Vec<(u64, u64)> = found.iter().map(|f| (f.matched, f.weak)).collect();
    assert_eq!(
        counts,
        [(2, 1), (1, 0), (1, 0), (1, 0)],
        "jxsmith is not j_smith"
    );
    let export = c
        .export("call-notes", &batch(&[john()], false))
        .await
        .unwrap();
    assert_eq!(export[0].records.len(), 3);
    assert!(export[0]
        .records
        .iter()
        .all(|r| r.get("written_at").is_some() && r.get("note").is_some()));
    t.cleanup().await;
}

#[tokio::test]
async fn redaction_replaces_only_the_subjects_hits() {
    let Some((t, spec)) = notes().await else {
        return;
    };
    let c = t.connector(vec![spec]);
    let erased = c
        .erase("call-notes", &batch(&[john(), smith()], false))
        .await
        .unwrap();
    assert_eq!(
        erased.iter().map(|e| e.affected).collect::<Vec<_>>(),
        [2, 1]
    );
    assert_eq!(
        all_notes(&t).await,
        [
            "Caller [REDACTED] asked for a callback on [REDACTED] after 5pm",
            "Spoke to FEATHERSTONE, JOHN about invoice 100%",
            "Max rang from +44 7700 900123 twice",
            "Transfer from [REDACTED] to Wolfeschlegelstein, Maximilian",
            "mail from [REDACTED] about the refund",
            "mail from jxsmith@example.com is someone else",
        ]
    );
    let after = c
        .verify("call-notes", &batch(&[john(), smith()], false))
        .await
        .unwrap();
    assert_eq!(
        (after[0].matched, after[0].weak, after[1].matched),
        (0, 1, 0)
    );
    assert!(
        c.erase("call-notes", &batch(&[john()], false))
            .await
            .unwrap()[0]
            .affected
            == 0
    );

    // With weak matches included, the name-only note goes too.
    c.erase("call-notes", &batch(&[john()], true))
        .await
        .unwrap();
    assert_eq!(
        all_notes(&t).await[1],
        "Spoke to [REDACTED] about invoice 100%"
    );

    // An identifier column under `redact` becomes the token.
    let anna = person(&[], &[], &["CORP\\AQuennell"]);
    assert_eq!(
        c.erase("call-notes", &batch(&[anna], false)).await.unwrap()[0].affected,
        1
    );
    let authors = t
        .texts(&format!(
            "select author from {}.call_notes order by id",
            t.schema
        ))
        .await;
    assert_eq!(authors[2].as_deref(), Some("[REDACTED]"));
    assert_eq!(authors[0].as_deref(), Some("op01"));
    t.cleanup().await;
}

#[tokio::test]
async fn a_row_changed_between_read_and_write_is_left_alone_and_the_call_retried() {
    let Some((t, mut spec)) = notes().await else {
        return;
    };
    // A concurrent writer, played by a view whose filter edits John's note
    // the first time it runs: the connector's SELECT reads the old note,
    // its UPDATE then finds a different one.
    let s = &t.schema;
    t.admin
        .batch_execute(&format!(
            "create table {s}.flag (done bool);
             create function {s}.touch() returns boolean language plpgsql volatile as $$
             begin
               if not exists (select 1 from {s}.flag) then
                 insert into {s}.flag values (true);
                 update {s}.call_notes set note = note || ' (edited)' where id = 1;
               end if;
               return true;
             end $$;
             create view {s}.notes_v as select * from {s}.call_notes where {s}.touch();"
        ))
        .await
        .unwrap();
    spec.table = Some(TableName::parse(&format!("{s}.notes_v")).unwrap());
    let c = t.connector(vec![spec]);
    let e = c
        .erase("call-notes", &batch(&[john()], false))
        .await
        .unwrap_err();
    assert_eq!(e.class, lethe_connectors::RetryClass::Transient, "{e}");
    assert!(
        e.message.contains("changed while they were being erased"),
        "{e}"
    );
    assert_eq!(all_notes(&t).await, NOTES, "rolled back: nothing changed");

    // The writer is gone: the retry erases.
    t.admin
        .batch_execute(&format!(
            "create or replace function {s}.touch() returns boolean language sql as 'select true'"
        ))
        .await
        .unwrap();
    assert_eq!(
        c.erase("call-notes", &batch(&[john()], false))
            .await
            .unwrap()[0]
            .affected,
        2
    );
    t.cleanup().await;
}
