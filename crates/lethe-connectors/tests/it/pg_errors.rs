//! Faults that retrying cannot fix come back permanent and say what to
//! change; configuration mistakes stop the connector from being built.

use lethe_connectors::postgres::{PostgresConnector, PostgresTargetSpec, SslMode};
use lethe_connectors::sql::{ReplacementName, StrategyName, TableName};
use lethe_connectors::{Connector, RetryClass};
use lethe_testkit::Fixture;

use crate::pg::{batch, plants, PgTest};

#[tokio::test]
async fn a_missing_table_is_permanent_and_named() {
    let Some(t) = PgTest::new().await else { return };
    let c = t.connector(vec![t.preset()]);
    for e in [
        c.discover("console-call-history", &batch(&plants(), false))
            .await
            .unwrap_err(),
        c.erase("console-call-history", &batch(&plants(), false))
            .await
            .unwrap_err(),
    ] {
        assert_eq!(e.class, RetryClass::Permanent, "{e}");
        assert!(
            e.message.contains(&t.table()) && e.message.contains("fix `table`"),
            "{e}"
        );
    }
    t.cleanup().await;
}

#[tokio::test]
async fn a_missing_column_is_permanent_and_named() {
    let Some(t) = PgTest::call_history(&Fixture::standard(50)).await else {
        return;
    };
    let mut spec = t.preset();
    let mut columns = lethe_connectors::postgres::presets::preset("console-call-history")
        .unwrap()
        .columns;
    columns.insert(
        "caller_numbr".to_owned(),
        vec![lethe_domain::IdentifierKind::Phone],
    );
    spec.columns = Some(columns);
    let c = t.connector(vec![spec]);
    let e = c
        .discover("console-call-history", &batch(&plants(), false))
        .await
        .unwrap_err();
    assert_eq!(e.class, RetryClass::Permanent, "{e}");
    assert!(e.message.contains("`caller_numbr`"), "{e}");

    // A column dropped after the connector read the catalog: the server's
    // own error, still permanent.
    let c = t.connector(vec![t.preset()]);
    c.discover("console-call-history", &batch(&plants(), false))
        .await
        .unwrap();
    t.admin
        .batch_execute(&format!(
            "alter table {} drop column dialed_digits",
            t.table()
        ))
        .await
        .unwrap();
    let e = c
        .discover("console-call-history", &batch(&plants(), false))
        .await
        .unwrap_err();
    assert_eq!(e.class, RetryClass::Permanent, "{e}");
    assert!(
        e.message.contains("dialed_digits") && e.message.contains("42703"),
        "{e}"
    );
    // The next call reads the catalog again and names the column plainly.
    let e = c
        .discover("console-call-history", &batch(&plants(), false))
        .await
        .unwrap_err();
    assert!(
        e.message.contains("column `dialed_digits` does not exist"),
        "{e}"
    );
    t.cleanup().await;
}

#[tokio::test]
async fn nulling_a_not_null_column_is_refused_before_writing() {
    let Some(t) = PgTest::call_history(&Fixture::standard(200)).await else {
        return;
    };
    t.admin
        .batch_execute(&format!(
            "update {0} set caller_name = '' where caller_name is null; alter table {0} alter column caller_name set not null",
            t.table()
        ))
        .await
        .unwrap();
    let c = t.connector(vec![t.preset()]);
    let e = c
        .erase("console-call-history", &batch(&plants(), false))
        .await
        .unwrap_err();
    assert_eq!(e.class, RetryClass::Permanent, "{e}");
    assert!(
        e.message.contains("caller_name") && e.message.contains("token"),
        "{e}"
    );
    let fixed = PostgresTargetSpec {
        replace: Some([("caller_name".to_owned(), ReplacementName::Token)].into()),
        ..t.preset()
    };
    let c = t.connector(vec![fixed]);
    assert_eq!(
        c.erase("console-call-history", &batch(&plants(), false))
            .await
            .unwrap()[0]
            .affected,
        16
    );
    t.cleanup().await;
}

#[tokio::test]
async fn permission_denied_is_permanent() {
    let Some(t) = PgTest::call_history(&Fixture::standard(50)).await else {
        return;
    };
    let role = format!("{}_ro", t.schema);
    t.admin
        .batch_execute(&format!(
            "create role {role} login; grant usage on schema {} to {role}; grant select on {} to {role}",
            t.schema,
            t.table()
        ))
        .await
        .unwrap();
    let url = t.url.replacen("postgres@", &format!("{role}@"), 1);
    let c = t.connector(vec![PostgresTargetSpec {
        url: Some(url.into()),
        ..t.preset()
    }]);
    assert_eq!(
        c.discover("console-call-history", &batch(&plants(), false))
            .await
            .unwrap()[0]
            .matched,
        16
    );
    let e = c
        .erase("console-call-history", &batch(&plants(), false))
        .await
        .unwrap_err();
    assert_eq!(e.class, RetryClass::Permanent, "{e}");
    assert!(
        e.message.contains("permission denied") && e.message.contains("grant"),
        "{e}"
    );
    drop(c);
    t.admin
        .batch_execute(&format!("drop owned by {role}; drop role {role}"))
        .await
        .unwrap();
    t.cleanup().await;
}

#[tokio::test]
async fn a_closed_port_is_transient() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let spec = PostgresTargetSpec {
        sslmode: Some(SslMode::Disable),
        ..PostgresTargetSpec::preset(
            "console-call-history",
            &format!("postgres://lethe:s3cret@127.0.0.1:{port}/x"),
        )
    };
    let c = PostgresConnector::new(vec![spec.resolve().unwrap()], None).unwrap();
    let e = c
        .discover("console-call-history", &batch(&plants(), false))
        .await
        .unwrap_err();
    assert_eq!(e.class, RetryClass::Transient, "{e}");
    assert!(
        e.message.contains("ConnectionRefused") && !e.message.contains("s3cret"),
        "{e}"
    );
}

#[test]
fn bad_declarations_stop_the_connector_at_startup() {
    let url = "postgres://lethe@db.example/console";
    let resolve = |spec: PostgresTargetSpec| spec.resolve().map(|_| ()).unwrap_err();
    assert!(resolve(PostgresTargetSpec::default())
        .contains("needs `name`, `table`, `key` and `strategy`"));
    assert!(resolve(PostgresTargetSpec {
        url: None,
        ..PostgresTargetSpec::preset("console-call-history", url)
    })
    .contains("`url` (or `url_env`) is required"));
    assert!(resolve(PostgresTargetSpec::preset("call-history", url))
        .contains("unknown postgres preset"));
    let e = resolve(PostgresTargetSpec::preset(
        "console-call-history",
        "postgres://x@h/db?sslmode=verify-full",
    ));
    assert!(
        e.contains("`sslmode` as its own field") && !e.contains("x@h"),
        "{e}"
    );
    assert!(resolve(PostgresTargetSpec {
        ca_file: Some("/etc/ca.pem".into()),
        ..PostgresTargetSpec::preset("console-call-history", url)
    })
    .contains("only used with sslmode `verify-full`"));
    assert!(resolve(PostgresTargetSpec {
        parties: Some(vec![vec!["company_name".to_owned()]]),
        ..PostgresTargetSpec::preset("console-call-history", url)
    })
    .contains("party column `company_name` is not an identifier column"));
    assert!(resolve(PostgresTargetSpec {
        key: Some("id; drop table x".to_owned()),
        ..PostgresTargetSpec::preset("console-call-history", url)
    })
    .contains("not a plain SQL name"));
    assert!(resolve(PostgresTargetSpec {
        strategy: Some(StrategyName::Retain),
        ..PostgresTargetSpec::preset("console-call-history", url)
    })
    .contains("retain_ground"));
    assert!(TableName::parse("public.call_history; --").is_err());

    let pseudonyms = PostgresTargetSpec {
        anonymise_with: Some(ReplacementName::Pseudonym),
        ..PostgresTargetSpec::preset("console-call-history", url)
    };
    let e = PostgresConnector::new(vec![pseudonyms.resolve().unwrap()], None).unwrap_err();
    assert!(e.contains("pseudonym key"), "{e}");
    let twice = PostgresTargetSpec::preset("console-call-history", url)
        .resolve()
        .unwrap();
    let e = PostgresConnector::new(vec![twice.clone(), twice], None).unwrap_err();
    assert!(e.contains("declared twice"), "{e}");
    let missing_ca = PostgresTargetSpec {
        sslmode: Some(SslMode::VerifyFull),
        ca_file: Some("/nonexistent/ca.pem".into()),
        ..PostgresTargetSpec::preset("console-call-history", url)
    };
    let e = PostgresConnector::new(vec![missing_ca.resolve().unwrap()], None).unwrap_err();
    assert!(e.contains("/nonexistent/ca.pem"), "{e}");
}

#[test]
fn lethe_toml_tables_deserialize() {
    #[derive(serde::Deserialize)]
    struct Config {
        postgres: Vec<PostgresTargetSpec>,
    }
    let toml = r#"
        [[postgres]]
        preset = "console-call-history"
        url = "postgres://lethe:pw@console-db.example:5432/console"
        sslmode = "verify-full"
        ca_file = "/etc/lethe/console-ca.pem"
        table = "console.call_history"
        replace = { operator_login = "pseudonym" }

        [[postgres]]
        name = "call-notes"
        url = "postgres://lethe:pw@console-db.example:5432/console"
        table = "console.call_notes"
        key = "id"
        columns = { author = ["directory_account"] }
        free_text = ["note"]
        strategy = "redact"
    "#;
    let config: Config = toml::from_str(toml).unwrap();
    let targets: Vec<_> = config
        .postgres
        .into_iter()
        .map(|s| s.resolve().unwrap())
        .collect();
    assert_eq!(targets[0].table.table.to_string(), "console.call_history");
    assert_eq!(targets[0].connection.sslmode, SslMode::VerifyFull);
    assert_eq!(targets[1].table.free_text, ["note"]);
    assert!(
        !format!("{:?}", targets[0]).contains(":pw@"),
        "the URL is a secret"
    );
}
