//! Shared by the postgres tests: a fresh schema per test in the database
//! named by `LETHE_TEST_DATABASE_URL` (`./scripts/test` starts one), the
//! call-history fixture loaded into it, and connectors pointed at it.

use std::io::Write;
use std::sync::atomic::{AtomicU32, Ordering};

use lethe_connectors::postgres::{PostgresConnector, PostgresTargetSpec, SslMode};
use lethe_connectors::sql::TableName;
use lethe_connectors::BatchSubject;
use lethe_domain::{IdentifierHasher, PhoneRegion, Subject, SubjectInput};
use lethe_testkit::{create_call_history, load_call_history, Fixture};
use tokio_postgres::{Client, NoTls};

pub const PG_ENV: &str = "LETHE_TEST_DATABASE_URL";
pub const CA_ENV: &str = "LETHE_TEST_PG_CA";

/// `Some(value)` of `var`, or `None` after a loud SKIP line on a
/// developer's machine; panics under CI.
pub fn env_or_skip(var: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(v) => Some(v),
        Err(_) => {
            if std::env::var_os("CI").is_some() {
                panic!("{var} is not set; run ./scripts/test, which starts PostgreSQL");
            }
            // Straight to stderr: libtest captures `eprintln!` of passing tests.
            let _ = writeln!(
                std::io::stderr(),
                "SKIP {}: {var} is not set; this PostgreSQL test did not run",
                std::thread::current().name().unwrap_or("postgres test"),
            );
            None
        }
    }
}

/// One test's schema and a plain admin connection to check the data
/// independently of the connector.
pub struct PgTest {
    pub url: String,
    pub schema: String,
    pub admin: Client,
}

impl PgTest {
    /// A new empty schema, or `None` when PostgreSQL is not configured.
    pub async fn new() -> Option<PgTest> {
        let url = env_or_skip(PG_ENV)?;
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos();
        let schema = format!(
            "t_{}_{}_{nanos}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let admin = connect(&url).await;
        admin
            .batch_execute(&format!("create schema {schema}"))
            .await
            .unwrap();
        Some(PgTest { url, schema, admin })
    }

    /// A new schema holding `fixture`'s call history.
    pub async fn call_history(fixture: &Fixture) -> Option<PgTest> {
        let t = PgTest::new().await?;
        create_call_history(&t.admin, &t.schema).await.unwrap();
        load_call_history(&t.admin, &t.schema, fixture.rows())
            .await
            .unwrap();
        Some(t)
    }

    /// `schema.call_history`.
    pub fn table(&self) -> String {
        format!("{}.call_history", self.schema)
    }

    /// The preset on this test's table, over plaintext.
    pub fn preset(&self) -> PostgresTargetSpec {
        PostgresTargetSpec {
            table: Some(TableName::parse(&self.table()).unwrap()),
            sslmode: Some(SslMode::Disable),
            ..PostgresTargetSpec::preset("console-call-history", &self.url)
        }
    }

    /// A connector for `specs`, with a pseudonym key.
    pub fn connector(&self, specs: Vec<PostgresTargetSpec>) -> PostgresConnector {
        let targets = specs.into_iter().map(|s| s.resolve().unwrap()).collect();
        PostgresConnector::new(targets, Some(IdentifierHasher::new(b"test pseudonym key"))).unwrap()
    }

    /// One `bigint` from `sql` (a count or a sum).
    pub async fn number(&self, sql: &str) -> i64 {
        let sql = sql.replace("{t}", &self.table());
        self.admin
            .query_one(&format!("select ({sql})::bigint"), &[])
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
            .get(0)
    }

    /// Text values of the first column of `sql`'s rows.
    pub async fn texts(&self, sql: &str) -> Vec<Option<String>> {
        let sql = sql.replace("{t}", &self.table());
        self.admin
            .query(&sql, &[])
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
            .iter()
            .map(|r| r.get(0))
            .collect()
    }

    /// Drops the schema (a failed test leaves it for inspection).
    pub async fn cleanup(self) {
        self.admin
            .batch_execute(&format!("drop schema {} cascade", self.schema))
            .await
            .unwrap();
    }
}

/// A plaintext connection for test setup and checks.
pub async fn connect(url: &str) -> Client {
    let (client, conn) = tokio_postgres::connect(url, NoTls).await.unwrap();
    tokio::spawn(conn);
    client
}

/// A parsed GB subject from raw strings.
pub fn person(phones: &[&str], names: &[&str], accounts: &[&str]) -> Subject {
    let input = SubjectInput {
        phones: phones.iter().map(|s| s.to_string()).collect(),
        names: names.iter().map(|s| s.to_string()).collect(),
        directory_accounts: accounts.iter().map(|s| s.to_string()).collect(),
        ..SubjectInput::default()
    };
    Subject::parse(&input, PhoneRegion::parse("GB").unwrap()).unwrap()
}

/// The standard fixture's plants as subjects: John (number given in E.164),
/// Maximilian (national, spaced), Anna (her login, domain in upper case).
pub fn plants() -> Vec<Subject> {
    vec![
        person(&["+441632960855"], &["John Featherstone"], &[]),
        person(&["07700 900123"], &["Maximilian Wolfeschlegelstein"], &[]),
        person(&[], &["Anna Quennell"], &["CORP\\AQuennell"]),
    ]
}

/// A batch with one weak-match rule for all.
pub fn batch(subjects: &[Subject], include_weak: bool) -> Vec<BatchSubject> {
    subjects
        .iter()
        .map(|s| BatchSubject {
            subject: s.clone(),
            include_weak,
        })
        .collect()
}

/// An independent count of John's strong rows: every shape the fixture
/// writes his number in, as literals, compared as stored.
pub const JOHN_STRONG_SQL: &str = "select count(*) from {t} where \
    caller_number in ('+441632960855', '01632 960855', '01632960855', '0441632960855', '00441632960855') \
    or dialed_digits = '901632960855' or called_number in ('01632 960855', '(01632) 960855') \
    or transferred_to_number = '+44 1632 960855'";

/// An independent count of rows holding one of John's caller-ID name shapes.
pub const JOHN_NAME_SQL: &str = "select count(*) from {t} where caller_name in \
    ('FEATHERSTONE, J', 'JOHN FEATHERSTONE', 'Featherstone,John', 'John Featherstone', 'Featherstone, John')";
