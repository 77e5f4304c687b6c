//! lethe's own store on PostgreSQL for the process tests: a fresh schema in
//! the database named by `LETHE_TEST_DATABASE_URL`, migrated, and the URL a
//! `lethe` process uses to reach it (`search_path` in the `options`).

use std::io::Write;
use std::str::FromStr;
use std::sync::Arc;

use lethe_store::{AuditKey, PgStore, Store};
use sqlx::postgres::PgConnectOptions;

const PG_ENV: &str = "LETHE_TEST_DATABASE_URL";

pub struct PgSchema {
    pub url: String,
    pub store: Arc<dyn Store>,
}

/// A migrated store in a new schema, or `None` after a loud SKIP on a
/// developer's machine without PostgreSQL. Panics under CI.
pub async fn pg_schema(key: AuditKey) -> Option<PgSchema> {
    let Ok(base) = std::env::var(PG_ENV) else {
        assert!(
            std::env::var_os("CI").is_none(),
            "{PG_ENV} is not set; run the README test command, which starts PostgreSQL"
        );
        let _ = writeln!(
            std::io::stderr(),
            "SKIP: {PG_ENV} is not set; PostgreSQL process test did not run"
        );
        return None;
    };
    let schema = format!("p_{}", uuid::Uuid::now_v7().simple());
    let admin = sqlx::PgPool::connect(&base)
        .await
        .expect("connect to PostgreSQL");
    sqlx::query(&format!("create schema {schema}"))
        .execute(&admin)
        .await
        .unwrap();
    admin.close().await;
    let sep = if base.contains('?') { '&' } else { '?' };
    let url = format!("{base}{sep}options=-c%20search_path%3D{schema}");
    let store = PgStore::connect_with(PgConnectOptions::from_str(&url).unwrap(), key)
        .await
        .unwrap();
    store.migrate().await.unwrap();
    Some(PgSchema {
        url,
        store: Arc::new(store),
    })
}

/// `LETHE_TEST_DATABASE_URL`, or `None` after a loud SKIP naming `test` on
/// a developer's machine without PostgreSQL. Panics under CI.
pub fn database_url_or_skip(test: &str) -> Option<String> {
    let Ok(url) = std::env::var(PG_ENV) else {
        assert!(
            std::env::var_os("CI").is_none(),
            "{PG_ENV} is not set; run the README test command, which starts PostgreSQL"
        );
        let _ = writeln!(std::io::stderr(), "SKIP {test}: {PG_ENV} is not set");
        return None;
    };
    Some(url)
}

/// The console's call history in a fresh schema `<prefix>_<uuid>` of the
/// database at `url`, loaded with `fixture`: the client (still connected)
/// and the schema's name.
pub async fn call_history_schema(
    url: &str,
    prefix: &str,
    fixture: &lethe_testkit::Fixture,
) -> (tokio_postgres::Client, String) {
    let (client, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(conn);
    let schema = format!("{prefix}_{}", uuid::Uuid::now_v7().simple());
    lethe_testkit::create_call_history(&client, &schema)
        .await
        .unwrap();
    lethe_testkit::load_call_history(&client, &schema, fixture.rows())
        .await
        .unwrap();
    (client, schema)
}

/// The call-history connector on `schema`, reaching the suite's PostgreSQL
/// at `url` through a proxy that starts closed: a database a test can take
/// away and bring back without stopping the cluster every test shares.
pub async fn proxied_call_history(
    url: &str,
    schema: &str,
) -> (
    lethe_testkit::proxy::TcpProxy,
    lethe_connectors::postgres::PostgresConnector,
) {
    use lethe_connectors::postgres::{PostgresConnector, PostgresTargetSpec, SslMode};
    let hostport = url.split('@').nth(1).unwrap().split('/').next().unwrap();
    let proxy = lethe_testkit::proxy::TcpProxy::closed(hostport)
        .await
        .unwrap();
    let spec = PostgresTargetSpec {
        table: Some(
            lethe_connectors::sql::TableName::parse(&format!("{schema}.call_history")).unwrap(),
        ),
        sslmode: Some(SslMode::Disable),
        connect_timeout_secs: Some(2),
        ..PostgresTargetSpec::preset(
            "console-call-history",
            &url.replace(hostport, &proxy.addr().to_string()),
        )
    };
    let pg = PostgresConnector::new(
        vec![spec.resolve().unwrap()],
        Some(lethe_domain::IdentifierHasher::new(crate::estate::HASH_KEY)),
    )
    .unwrap();
    (proxy, pg)
}
