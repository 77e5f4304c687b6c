//! The postgres connector against a hand-written statement, in one run:
//! `LETHE_BENCH_ROWS` call-history rows (default 1,000,000) with one
//! planted caller on `LETHE_BENCH_MATCHED` of them (default 100,000, in
//! every phone shape and column of the fixture). Measures lethe's
//! discovery and anonymise (one SELECT, then one UPDATE of the matched
//! keys) and, on an identical copy of the table, one hand-written
//! set-based UPDATE that clears the same parties of the same rows. Peak
//! RSS is this process's `VmHWM` (reset before lethe's discovery), the
//! client side only: PostgreSQL's own memory is not lethe's.
//!
//! ```sh
//! ./scripts/bench-postgres   # starts a throwaway PostgreSQL; or, with your own:
//! LETHE_TEST_DATABASE_URL=postgres://... cargo bench -p lethe-connectors --bench postgres
//! ```

use std::time::Instant;

use lethe_connectors::postgres::{PostgresConnector, PostgresTargetSpec, SslMode};
use lethe_connectors::sql::TableName;
use lethe_connectors::{BatchSubject, Connector};
use lethe_domain::{PhoneRegion, Subject, SubjectInput};
use lethe_testkit::{create_call_history, load_call_history, Fixture, Plant};
use tokio_postgres::NoTls;

mod support;
use support::env_usize;

#[tokio::main]
async fn main() {
    let Ok(url) = std::env::var("LETHE_TEST_DATABASE_URL") else {
        eprintln!("SKIP: LETHE_TEST_DATABASE_URL is not set (./scripts/test starts a PostgreSQL)");
        return;
    };
    let rows = env_usize("LETHE_BENCH_ROWS", 1_000_000);
    let matched = env_usize("LETHE_BENCH_MATCHED", 100_000);
    let (admin, conn) = tokio_postgres::connect(&url, NoTls).await.expect("connect");
    tokio::spawn(conn);
    let schema = format!("bench_{}", std::process::id());
    let fixture = Fixture {
        rows,
        seed: 7,
        plants: vec![Plant::caller(
            "John",
            "Featherstone",
            "01632 960855",
            matched,
            0,
        )],
    };
    create_call_history(&admin, &schema).await.expect("schema");
    let t = Instant::now();
    let loaded = load_call_history(&admin, &schema, fixture.rows())
        .await
        .expect("load");
    let load_s = t.elapsed().as_secs_f64();
    admin
        .batch_execute(&format!(
            "create table {schema}.copy (like {schema}.call_history including all); \
             insert into {schema}.copy select * from {schema}.call_history;"
        ))
        .await
        .expect("copy");
    for table in ["call_history", "copy"] {
        admin
            .batch_execute(&format!("vacuum analyze {schema}.{table}"))
            .await
            .expect("vacuum");
    }
    println!(
        "loaded {loaded} rows in {load_s:.1} s ({:.0} rows/s)",
        loaded as f64 / load_s
    );

    let spec = PostgresTargetSpec {
        table: Some(TableName::parse(&format!("{schema}.call_history")).unwrap()),
        sslmode: Some(SslMode::Disable),
        ..PostgresTargetSpec::preset("console-call-history", &url)
    };
    let c = PostgresConnector::new(vec![spec.resolve().unwrap()], None).unwrap();
    let input = SubjectInput {
        phones: vec!["+44 1632 960855".into()],
        names: vec!["John Featherstone".into()],
        ..SubjectInput::default()
    };
    let batch = [BatchSubject {
        subject: Subject::parse(&input, PhoneRegion::parse("GB").unwrap()).unwrap(),
        include_weak: false,
    }];
    let start = support::reset_peak_rss();
    let t = Instant::now();
    let found = c
        .discover("console-call-history", &batch)
        .await
        .expect("discover");
    let discover_s = t.elapsed().as_secs_f64();
    println!(
        "lethe discover: {} rows found in {discover_s:.2} s",
        found[0].matched
    );
    let t = Instant::now();
    let erased = c
        .erase("console-call-history", &batch)
        .await
        .expect("erase");
    let erase_s = t.elapsed().as_secs_f64();
    let rss = support::peak_rss_kib();
    let n = erased[0].affected as f64;
    println!(
        "lethe anonymise: {n} rows in {erase_s:.2} s ({:.0} rows/s)",
        n / erase_s
    );

    // The hand-written baseline: one UPDATE that finds the same rows by the
    // same digits and clears the same parties, no round trip of keys.
    let forms: Vec<String> = [
        "441632960855",
        "00441632960855",
        "01632960855",
        "901632960855",
        "001632960855",
        "9441632960855",
        "0441632960855",
        "1632960855",
        "2960855",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    let d = |c: &str| format!("regexp_replace({c}, '[^0-9]', '', 'g') = any($1)");
    let caller = d("caller_number");
    let called = format!("({} or {})", d("called_number"), d("dialed_digits"));
    let transfer = d("transferred_to_number");
    let sql = format!(
        "update {schema}.copy set \
         caller_number = case when {caller} then null else caller_number end, \
         caller_name = case when {caller} then null else caller_name end, \
         called_number = case when {called} then null else called_number end, \
         called_name = case when {called} then null else called_name end, \
         dialed_digits = case when {called} then null else dialed_digits end, \
         transferred_to_number = case when {transfer} then null else transferred_to_number end, \
         transferred_to_name = case when {transfer} then null else transferred_to_name end \
         where {caller} or {called} or {transfer}"
    );
    let t = Instant::now();
    let hand = admin
        .execute(&sql, &[&forms])
        .await
        .expect("hand-written update");
    let hand_s = t.elapsed().as_secs_f64();
    println!(
        "hand-written UPDATE: {hand} rows in {hand_s:.2} s ({:.0} rows/s)",
        hand as f64 / hand_s
    );
    println!(
        "lethe anonymise / hand-written: {:.2}x (discover + update, against one update); peak RSS {}",
        (n / erase_s) / (hand as f64 / hand_s),
        support::mib(rss)
    );
    support::result(
        &format!("postgres anonymise, {hand} of {loaded} rows"),
        &format!("{:.0} rows/s", n / erase_s),
        &format!("UPDATE {:.0} rows/s", hand as f64 / hand_s),
        (n / erase_s) / (hand as f64 / hand_s),
        rss,
        start,
    );
    let differ = admin
        .query_one(
            &format!(
                "select count(*) from {schema}.call_history a join {schema}.copy b using (id) \
                 where (a.caller_number, a.caller_name, a.called_number, a.called_name, a.dialed_digits, \
                 a.transferred_to_number, a.transferred_to_name) is distinct from (b.caller_number, b.caller_name, \
                 b.called_number, b.called_name, b.dialed_digits, b.transferred_to_number, b.transferred_to_name)"
            ),
            &[],
        )
        .await
        .expect("compare")
        .get::<_, i64>(0);
    println!("rows where the two results differ: {differ}");
    admin
        .batch_execute(&format!("drop schema {schema} cascade"))
        .await
        .expect("drop");
}
