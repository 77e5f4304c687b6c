//! Tables whose columns are not all `text`: a `uuid` key, a phone number
//! stored as `bigint`, `varchar(n)` names. Values are read and compared as
//! text and written back through casts to the column's type; a value that
//! does not fit its column is refused, never cut.

use lethe_connectors::postgres::{PostgresTargetSpec, SslMode};
use lethe_connectors::sql::{ReplacementName, StrategyName, TableName};
use lethe_connectors::{Connector, RetryClass};
use lethe_domain::{IdentifierKind, PhoneRegion, Subject, SubjectInput};

use crate::pg::{batch, PgTest};

async fn contacts() -> Option<(PgTest, PostgresTargetSpec)> {
    let t = PgTest::new().await?;
    let table = format!("{}.contacts", t.schema);
    t.admin
        .batch_execute(&format!(
            "create table {table} (id uuid primary key default gen_random_uuid(), phone bigint, \
             name varchar(20), email varchar(40), visits integer not null default 1);
             insert into {table} (phone, name, email, visits) values
               (441632960855, 'FEATHERSTONE, J', 'John.F@Example.com', 3),
               (441632960855, 'SMITH, A', null, 4),
               (447700900999, 'JONES, M', 'm@example.org', 5);"
        ))
        .await
        .unwrap();
    let spec = PostgresTargetSpec {
        name: Some("contacts".to_owned()),
        url: Some(t.url.clone().into()),
        sslmode: Some(SslMode::Disable),
        table: Some(TableName::parse(&table).unwrap()),
        key: Some("id".to_owned()),
        columns: Some(
            [
                ("phone".to_owned(), vec![IdentifierKind::Phone]),
                ("name".to_owned(), vec![IdentifierKind::Name]),
                ("email".to_owned(), vec![IdentifierKind::Email]),
            ]
            .into(),
        ),
        strategy: Some(StrategyName::Anonymise),
        replace: Some(
            [
                ("name".to_owned(), ReplacementName::Token),
                ("email".to_owned(), ReplacementName::Pseudonym),
            ]
            .into(),
        ),
        ..PostgresTargetSpec::default()
    };
    Some((t, spec))
}

fn john() -> Subject {
    let input = SubjectInput {
        phones: vec!["01632 960855".into()],
        emails: vec!["john.f@example.com".into()],
        ..SubjectInput::default()
    };
    Subject::parse(&input, PhoneRegion::parse("GB").unwrap()).unwrap()
}

#[tokio::test]
async fn typed_columns_are_matched_and_written_through_casts() {
    let Some((t, spec)) = contacts().await else {
        return;
    };
    let c = t.connector(vec![spec]);
    let found = c
        .discover("contacts", &batch(&[john()], false))
        .await
        .unwrap();
    assert_eq!(found[0].matched, 2, "a bigint phone matches on its digits");
    // Known by the number only: the email beside it is proposed (there are
    // no parties, the whole row is one person).
    let by_phone = Subject::parse(
        &SubjectInput {
            phones: vec!["+441632960855".into()],
            ..SubjectInput::default()
        },
        PhoneRegion::parse("GB").unwrap(),
    )
    .unwrap();
    let found = c
        .discover("contacts", &batch(&[by_phone], false))
        .await
        .unwrap();
    let proposed: Vec<(IdentifierKind, &str)> = found[0]
        .proposed
        .iter()
        .map(|p| (p.kind, p.value.as_str()))
        .collect();
    assert_eq!(proposed, [(IdentifierKind::Email, "John.F@Example.com")]);
    let exported = c
        .export("contacts", &batch(&[john()], false))
        .await
        .unwrap();
    assert!(exported[0]
        .records
        .iter()
        .all(|r| r["id"].as_str().unwrap().len() == 36));

    let erased = c.erase("contacts", &batch(&[john()], false)).await.unwrap();
    assert_eq!(erased[0].affected, 2);
    let rows = t
        .texts(&format!(
            "select concat_ws('|', phone, name, email, visits) from {}.contacts order by visits",
            t.schema
        ))
        .await;
    let rows: Vec<String> = rows.into_iter().map(Option::unwrap).collect();
    assert!(
        rows[0].starts_with("[ERASED]|anon-") && rows[0].ends_with("|3"),
        "{rows:?}"
    );
    assert_eq!(rows[1], "[ERASED]|4", "no email: stays empty");
    assert_eq!(rows[2], "447700900999|JONES, M|m@example.org|5");
    assert_eq!(
        c.verify("contacts", &batch(&[john()], false))
            .await
            .unwrap()[0]
            .matched,
        0
    );
    t.cleanup().await;
}

#[tokio::test]
async fn a_replacement_too_long_for_its_column_is_refused_not_cut() {
    let Some((t, mut spec)) = contacts().await else {
        return;
    };
    spec.token = Some("[ERASED ON REQUEST OF THE SUBJECT]".to_owned());
    let c = t.connector(vec![spec]);
    let e = c
        .erase("contacts", &batch(&[john()], false))
        .await
        .unwrap_err();
    assert_eq!(e.class, RetryClass::Permanent, "{e}");
    assert!(e.message.contains("does not fit"), "{e}");
    let left = t
        .number(&format!(
            "select count(*) from {}.contacts where phone = 441632960855",
            t.schema
        ))
        .await;
    assert_eq!(left, 2, "the transaction changed nothing");
    t.cleanup().await;
}
