//! The postgres connector on the console call-history fixture: access and
//! erasure of planted people across every phone and name shape, checked
//! against independent SQL counts written with literal shapes.

use lethe_connectors::postgres::PostgresTargetSpec;
use lethe_connectors::sql::{ReplacementName, StrategyName};
use lethe_connectors::Connector;
use lethe_testkit::Fixture;

use crate::pg::{batch, plants, PgTest, JOHN_NAME_SQL, JOHN_STRONG_SQL};

const ROWS: usize = 3_000;

#[tokio::test]
async fn access_finds_every_shape_and_exports_only_the_persons_party() {
    let fixture = Fixture::standard(ROWS);
    let Some(t) = PgTest::call_history(&fixture).await else {
        return;
    };
    let c = t.connector(vec![t.preset()]);
    assert_eq!(
        t.number(JOHN_STRONG_SQL).await,
        16,
        "the fixture plants 16 strong rows"
    );

    let found = c
        .discover("console-call-history", &batch(&plants(), false))
        .await
        .unwrap();
    for (f, p) in found.iter().zip(&fixture.plants) {
        assert_eq!(
            (f.matched, f.weak),
            (p.strong as u64, p.weak as u64),
            "{} {}",
            p.first,
            p.last
        );
        assert_eq!(f.places.len(), 1);
        assert_eq!(f.places[0].place, t.table());
        assert_eq!((f.places[0].items, f.places[0].weak), (f.matched, f.weak));
    }
    // Proposals come from the subject's own party only: the caller party
    // holds no second number, so none are proposed (not the operator's
    // extension, not the called company number).
    assert!(
        found.iter().all(|f| f.proposed.is_empty()),
        "{:?}",
        found[0].proposed
    );

    let exports = c
        .export("console-call-history", &batch(&plants(), false))
        .await
        .unwrap();
    let john = &exports[0].records;
    assert_eq!(john.len(), 16 + 5);
    for r in john {
        let o = r.as_object().unwrap();
        assert_eq!(o["place"], t.table());
        assert!(
            o.contains_key("id") && o.contains_key("call_start") && o.contains_key("duration_s")
        );
        assert!(!o.contains_key("company_name"), "not declared as context");
        if o.contains_key("transferred_to_number") {
            // A call transferred to John: the caller is someone else.
            assert!(
                !o.contains_key("caller_number") && !o.contains_key("caller_name"),
                "{o:?}"
            );
            assert_eq!(o["match"], "strong");
        }
    }
    assert_eq!(john.iter().filter(|r| r["match"] == "weak").count(), 5);
    let anna = &exports[2].records;
    assert_eq!(anna.len(), 6);
    assert!(anna
        .iter()
        .all(|r| r["operator_login"] == "CORP\\aquennell" && r.get("caller_number").is_none()));
    t.cleanup().await;
}

#[tokio::test]
async fn anonymise_erases_every_shape_and_keeps_rows_durations_and_weak_rows() {
    let fixture = Fixture::standard(ROWS);
    let Some(t) = PgTest::call_history(&fixture).await else {
        return;
    };
    let c = t.connector(vec![t.preset()]);
    let rows = t.number("select count(*) from {t}").await;
    let seconds = t.number("select sum(duration_s) from {t}").await;
    let starts = t
        .number("select sum(extract(epoch from call_start))::bigint from {t}")
        .await;
    let names_before = t.number(JOHN_NAME_SQL).await;
    assert!(names_before > 5, "strong rows carry the caller-ID name too");

    let erased = c
        .erase("console-call-history", &batch(&plants(), false))
        .await
        .unwrap();
    let affected: Vec<u64> = erased.iter().map(|e| e.affected).collect();
    assert_eq!(affected, [16, 8, 6]);

    let after = c
        .verify("console-call-history", &batch(&plants(), false))
        .await
        .unwrap();
    for (f, p) in after.iter().zip(&fixture.plants) {
        assert_eq!((f.matched, f.weak), (0, p.weak as u64), "{}", p.last);
    }
    assert_eq!(t.number(JOHN_STRONG_SQL).await, 0);
    assert_eq!(
        t.number("select count(*) from {t} where operator_login ilike '%aquennell%'")
            .await,
        0
    );
    assert_eq!(
        t.number(JOHN_NAME_SQL).await,
        5,
        "name-only rows are left without include_weak"
    );
    assert_eq!(t.number("select count(*) from {t}").await, rows);
    assert_eq!(t.number("select sum(duration_s) from {t}").await, seconds);
    assert_eq!(
        t.number("select sum(extract(epoch from call_start))::bigint from {t}")
            .await,
        starts
    );
    // Only the person's party is cleared: calls transferred to John (2)
    // and Maximilian (1) keep their callers.
    let transfers = "select count(*) from {t} where disposition = 'transferred' \
                     and transferred_to_number is null and transferred_to_name is null";
    assert_eq!(t.number(transfers).await, 3);
    assert_eq!(
        t.number(&format!("{transfers} and caller_number is not null"))
            .await,
        3
    );

    let again = c
        .erase("console-call-history", &batch(&plants(), false))
        .await
        .unwrap();
    assert!(
        again.iter().all(|e| e.affected == 0),
        "a second erase changes nothing"
    );
    t.cleanup().await;
}

#[tokio::test]
async fn include_weak_erases_name_only_rows_too() {
    let fixture = Fixture::standard(ROWS);
    let Some(t) = PgTest::call_history(&fixture).await else {
        return;
    };
    let c = t.connector(vec![t.preset()]);
    let erased = c
        .erase("console-call-history", &batch(&plants()[..1], true))
        .await
        .unwrap();
    assert_eq!(erased[0].affected, 16 + 5);
    let after = c
        .verify("console-call-history", &batch(&plants()[..1], true))
        .await
        .unwrap();
    assert_eq!((after[0].matched, after[0].weak), (0, 0));
    assert_eq!(t.number(JOHN_NAME_SQL).await, 0);
    t.cleanup().await;
}

#[tokio::test]
async fn delete_removes_exactly_the_matched_rows() {
    let fixture = Fixture::standard(ROWS);
    let Some(t) = PgTest::call_history(&fixture).await else {
        return;
    };
    let spec = PostgresTargetSpec {
        strategy: Some(StrategyName::Delete),
        ..t.preset()
    };
    let c = t.connector(vec![spec]);
    let rows = t.number("select count(*) from {t}").await;
    let john_ids = t
        .texts(&JOHN_STRONG_SQL.replace("count(*)", "id::text"))
        .await;
    let erased = c
        .erase("console-call-history", &batch(&plants()[..1], false))
        .await
        .unwrap();
    assert_eq!(erased[0].affected, 16);
    assert_eq!(t.number("select count(*) from {t}").await, rows - 16);
    let ids: Vec<String> = john_ids.into_iter().map(Option::unwrap).collect();
    let left = t
        .number(&format!(
            "select count(*) from {{t}} where id in ({})",
            ids.join(",")
        ))
        .await;
    assert_eq!(left, 0, "exactly John's rows went");
    assert_eq!(t.number(JOHN_NAME_SQL).await, 5, "weak rows stay");
    t.cleanup().await;
}

#[tokio::test]
async fn pseudonyms_are_one_per_person_across_shapes_and_columns() {
    let fixture = Fixture::standard(ROWS);
    let Some(t) = PgTest::call_history(&fixture).await else {
        return;
    };
    let spec = PostgresTargetSpec {
        anonymise_with: Some(ReplacementName::Pseudonym),
        replace: Some([("caller_name".to_owned(), ReplacementName::Token)].into()),
        ..t.preset()
    };
    let c = t.connector(vec![spec]);
    let ids: Vec<String> = t
        .texts(&JOHN_STRONG_SQL.replace("count(*)", "id::text"))
        .await
        .into_iter()
        .map(Option::unwrap)
        .collect();
    c.erase("console-call-history", &batch(&plants()[..2], false))
        .await
        .unwrap();
    let of = |column: &str| {
        format!(
            "select distinct {column} from {{t}} where id in ({}) and {column} is not null and {column} like 'anon-%'",
            ids.join(",")
        )
    };
    // Five caller shapes, the transfer shape, the called shapes: one value.
    let mut all: Vec<Option<String>> = Vec::new();
    for column in [
        "caller_number",
        "transferred_to_number",
        "called_number",
        "dialed_digits",
    ] {
        all.extend(t.texts(&of(column)).await);
    }
    all.sort();
    all.dedup();
    assert_eq!(all.len(), 1, "{all:?}");
    let distinct = t
        .number("select count(distinct caller_number) from {t} where caller_number like 'anon-%'")
        .await;
    assert_eq!(distinct, 2, "one pseudonym per person");
    assert!(
        t.number("select count(*) from {t} where caller_name = '[ERASED]'")
            .await
            > 0
    );
    assert_eq!(
        t.number("select count(*) from {t} where caller_name = '[ERASED]'").await,
        t.number("select count(*) from {t} where caller_name = '[ERASED]' and caller_number like 'anon-%'").await,
        "per-column override: names became the token"
    );
    t.cleanup().await;
}

#[tokio::test]
async fn a_batch_is_one_statement_per_call() {
    let fixture = Fixture::standard(ROWS);
    let Some(t) = PgTest::call_history(&fixture).await else {
        return;
    };
    let c = t.connector(vec![t.preset()]);
    let subjects = plants();
    c.discover("console-call-history", &batch(&subjects[..1], false))
        .await
        .unwrap();
    let before = c.statements();
    c.discover("console-call-history", &batch(&subjects, false))
        .await
        .unwrap();
    assert_eq!(c.statements() - before, 1, "three subjects, one SELECT");
    c.export("console-call-history", &batch(&subjects, false))
        .await
        .unwrap();
    assert_eq!(c.statements() - before, 2);
    c.erase("console-call-history", &batch(&subjects, true))
        .await
        .unwrap();
    assert_eq!(
        c.statements() - before,
        4,
        "erase: one SELECT and one UPDATE"
    );
    c.erase("console-call-history", &batch(&subjects, true))
        .await
        .unwrap();
    assert_eq!(c.statements() - before, 5, "nothing left: no UPDATE");
    t.cleanup().await;
}
