//! Each test server stopped in the middle of a run and restarted on the
//! same port (issue 10): SQL Server (the TDS test server), CloudLink (its
//! test server), Elasticsearch (osmem-server) and the console's PostgreSQL
//! (behind a proxy). One erasure request is driven round by round:
//! discovery succeeds against the live server, then the server goes down
//! just before the erase steps run (and again before the verify steps,
//! where the data outlives a restart). Those steps go `retrying` with a
//! transient error that names none of the subject's identifiers, the data
//! is exactly as it was (nothing half-written), and once the server is
//! back the same steps succeed on a later attempt: every item found is
//! erased once, verify finds nothing, and a look at the server without
//! lethe finds nothing of the subject and everyone else's data unchanged.
//!
//! Rounds, not sleeps, decide what runs while the server is down; the only
//! waits are for retry timers, read from the steps' own `run_at`.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use lethe_connectors::cloudlink::{CloudLinkConnection, CloudLinkConnector, CloudLinkTarget};
use lethe_connectors::mssql::{presets::PRESET_NAMES, Encrypt, MssqlConnector, MssqlTargetSpec};
use lethe_connectors::postgres::{PostgresConnector, PostgresTargetSpec, SslMode};
use lethe_connectors::sql::TableName;
use lethe_domain::{IdentifierHasher, StepAction, StepStatus};
use lethe_planner::Policy;
use lethe_store::StepRecord;
use lethe_testkit::cloudlink::{self, CloudLinkConfig, CloudLinkServer, PlantedEmployee};
use lethe_testkit::es::{self, EsFixture, Family, PlantedEs};
use lethe_testkit::tds::{TdsConfig, TdsServer};
use secrecy::SecretString;
use serde_json::{json, Value};
use tokio_util::compat::TokioAsyncWriteCompatExt;

use crate::es_estate::{self, steps};
use crate::estate::{Estate, Options, HASH_KEY};

/// A server a test takes down and brings back, and a view of its data
/// that does not go through lethe.
trait Server {
    /// Port closed, connections cut; returns once that is so.
    async fn down(&mut self);
    /// Listening again on the same port.
    async fn up(&mut self);
    /// Items holding the subject's strong identifiers.
    async fn subject_items(&mut self) -> u64;
    /// Everyone else's data, in a form that changes if any of it does.
    async fn others(&mut self) -> String;
}

/// What [`erase_across_restarts`] needs to know besides the server.
struct Run<'a> {
    connector: &'a str,
    /// The steps the server goes down before: erase, and verify where the
    /// server keeps its data over a restart.
    outages: &'a [StepAction],
    /// What the connector says while the server is down: every error
    /// holds one of these.
    down_errors: &'a [&'a str],
    /// The subject's identifiers: no error may contain one.
    identifiers: Vec<String>,
}

fn estate_options(connector: Arc<dyn lethe_connectors::Connector>) -> Options {
    Options {
        policy: Policy {
            approval_for: Vec::new(),
            ..Policy::default()
        },
        extras: vec![connector],
        ..Options::default()
    }
}

async fn steps_of(e: &Estate, id: &str, connector: &str, action: StepAction) -> Vec<StepRecord> {
    steps(e, id)
        .await
        .into_iter()
        .filter(|s| s.connector == connector && s.action == action)
        .collect()
}

/// Sleeps until the latest retry timer among `steps` is due.
async fn wait_for_retry_timers(steps: &[StepRecord]) {
    let due = steps
        .iter()
        .filter(|s| s.status == StepStatus::Retrying)
        .map(|s| s.run_at)
        .max();
    if let Some(due) = due {
        let wait = (due - chrono::Utc::now()).to_std().unwrap_or_default();
        tokio::time::sleep(wait + Duration::from_millis(5)).await;
    }
}

/// Runs rounds until no `action` step of `connector` is retrying.
async fn retry(e: &Estate, id: &str, connector: &str, action: StepAction) {
    // A guard against hanging if a step never comes due, not a time limit.
    for _ in 0..200 {
        let s = steps_of(e, id, connector, action).await;
        if s.iter().all(|s| s.status != StepStatus::Retrying) {
            return;
        }
        wait_for_retry_timers(&s).await;
        e.engine.round().await.unwrap();
    }
    panic!("{action:?} steps of {connector} still retrying");
}

/// Runs the request to its end, waiting out retry timers of any connector.
async fn finish(e: &Estate, id: &str) -> String {
    // A guard against hanging, not a time limit.
    for _ in 0..200 {
        e.run().await;
        let status = e.status(id).await;
        if !["received", "planning", "executing"].contains(&status.as_str()) {
            return status;
        }
        wait_for_retry_timers(&steps(e, id).await).await;
    }
    panic!("request {id} never finished");
}

fn assert_no_identifiers(text: &str, identifiers: &[String]) {
    let lower = text.to_lowercase();
    for i in identifiers {
        assert!(
            !lower.contains(&i.to_lowercase()),
            "an error names the subject: {text}"
        );
    }
}

/// Submits an erasure of `subject` and drives it through the outages of
/// `run`, checking each phase against `server`.
async fn erase_across_restarts(e: &Estate, server: &mut impl Server, subject: Value, run: Run<'_>) {
    let connector = run.connector;
    let before = server.subject_items().await;
    assert!(before > 0, "the fixture holds nothing of the subject");
    let others = server.others().await;
    let id = e.submit("erasure", subject).await;

    // Discovery runs against the live server.
    e.engine.round().await.unwrap();
    let discovered = steps_of(e, &id, connector, StepAction::Discover).await;
    assert!(!discovered.is_empty(), "no discovery on {connector}");
    for s in &discovered {
        assert_eq!(
            s.status,
            StepStatus::Succeeded,
            "{}: {:?}",
            s.step_key,
            s.error
        );
    }
    let found: i64 = discovered.iter().filter_map(|s| s.items_matched).sum();
    assert_eq!(found as u64, before, "lethe finds what the server holds");

    for &action in run.outages {
        // The steps still to come. A step may have run already when its
        // erase finished a round before the others' (a lock timeout on the
        // SQL Server test server), but never all of them.
        let (ran, next): (Vec<_>, Vec<_>) = steps_of(e, &id, connector, action)
            .await
            .into_iter()
            .partition(|s| !s.attempts.is_empty());
        assert!(
            !next.is_empty(),
            "no {action:?} step to come on {connector}"
        );
        for s in &ran {
            assert_eq!(
                s.status,
                StepStatus::Succeeded,
                "{}: {:?}",
                s.step_key,
                s.error
            );
        }
        let next: BTreeSet<String> = next.into_iter().map(|s| s.step_key).collect();

        // Down: the steps meet a closed port and wait for a retry.
        server.down().await;
        e.engine.round().await.unwrap();
        for s in steps_of(e, &id, connector, action).await {
            if !next.contains(&s.step_key) {
                continue;
            }
            assert_eq!(
                s.status,
                StepStatus::Retrying,
                "{}: {:?}",
                s.step_key,
                s.error
            );
            assert_eq!(s.attempts.len(), 1, "{}", s.step_key);
            assert_eq!(s.attempts[0].outcome.as_deref(), Some("transient"));
            let error = s.error.as_deref().unwrap_or_default();
            assert!(
                run.down_errors.iter().any(|d| error.contains(d)),
                "{}: {error:?} is not a connection failure",
                s.step_key
            );
            assert_no_identifiers(error, &run.identifiers);
        }

        // Back: nothing was half-done while it was down...
        server.up().await;
        let left = if action == StepAction::Erase {
            before
        } else {
            0
        };
        assert_eq!(server.subject_items().await, left, "changed while down");
        assert_eq!(server.others().await, others, "others changed while down");
        // ...and the same steps succeed once it is back (the SQL Server
        // test server may add a lock timeout: two steps writing one SQLite
        // file at once).
        retry(e, &id, connector, action).await;
        for s in steps_of(e, &id, connector, action).await {
            assert_eq!(
                s.status,
                StepStatus::Succeeded,
                "{}: {:?}",
                s.step_key,
                s.error
            );
            let retried = s.attempts.len() >= 2;
            assert!(retried || !next.contains(&s.step_key), "{}", s.step_key);
        }
    }

    let status = finish(e, &id).await;
    assert!(status.starts_with("completed"), "{status}");
    let report = e.get_json(&format!("/v1/requests/{id}/report")).await;
    let (mut found, mut erased) = (0, 0);
    for t in report["targets"].as_array().unwrap() {
        if !t["key"]
            .as_str()
            .unwrap()
            .starts_with(&format!("{connector}:"))
        {
            continue;
        }
        let n = t["found"].as_u64().unwrap_or(0);
        if n > 0 {
            assert_eq!(t["remaining"], json!(0), "{t}");
            assert_eq!(t["verify"], "passed", "{t}");
        }
        found += n;
        erased += t["erased"].as_u64().unwrap_or(0);
    }
    assert_eq!(found, before, "{report}");
    assert_eq!(erased, before, "erased once each: {report}");
    assert_eq!(
        server.subject_items().await,
        0,
        "the subject is still there"
    );
    assert_eq!(server.others().await, others, "someone else's data changed");
}

// --- SQL Server: the TDS test server ---------------------------------------

/// The TDS test server with the CCM fixture loaded through tiberius.
struct Tds {
    server: TdsServer,
    ado: String,
    fixture: lethe_testkit::mssql::CcmFixture,
    /// The subject's email (lower case) and number, national and
    /// international, as digits: every shape the fixture writes holds one
    /// of these once separators are removed.
    email: String,
    digits: [String; 2],
    /// `table/key` of every row that held the subject before the run: its
    /// rows may be changed, every other row must stay as it is.
    subject_rows: BTreeSet<String>,
}

impl Tds {
    async fn client(&self) -> tiberius::Client<tokio_util::compat::Compat<tokio::net::TcpStream>> {
        let config = tiberius::Config::from_ado_string(&format!(
            "{};database=CCMData;encrypt=DANGER_PLAINTEXT",
            self.ado
        ))
        .unwrap();
        let tcp = tokio::net::TcpStream::connect(config.get_addr())
            .await
            .unwrap();
        tiberius::Client::connect(config, tcp.compat_write())
            .await
            .unwrap()
    }

    /// Every row of the eight tables: (`table/key`, cells as text).
    async fn rows(&self) -> Vec<(String, Vec<String>)> {
        let mut c = self.client().await;
        let mut out = Vec::new();
        for t in &self.fixture.tables {
            let sql = format!("select * from [{}].[dbo].[{}]", t.database, t.name);
            let rows = c
                .simple_query(sql)
                .await
                .unwrap()
                .into_first_result()
                .await
                .unwrap();
            for row in rows {
                let cells: Vec<String> = row
                    .into_iter()
                    .map(|c| match c {
                        tiberius::ColumnData::String(Some(s)) => s.into_owned(),
                        other => format!("{other:?}"),
                    })
                    .collect();
                out.push((format!("{}/{}", t.name, cells[0]), cells));
            }
        }
        out
    }

    fn holds_subject(&self, cells: &[String]) -> bool {
        cells.iter().any(|c| {
            let digits: String = c.chars().filter(char::is_ascii_digit).collect();
            c.to_lowercase().contains(&self.email) || self.digits.iter().any(|d| digits.contains(d))
        })
    }
}

impl Server for Tds {
    async fn down(&mut self) {
        self.server.pause().await;
    }
    async fn up(&mut self) {
        self.server.resume().await.unwrap();
    }
    async fn subject_items(&mut self) -> u64 {
        let rows = self.rows().await;
        if self.subject_rows.is_empty() {
            self.subject_rows = rows
                .iter()
                .filter(|(_, cells)| self.holds_subject(cells))
                .map(|(key, _)| key.clone())
                .collect();
        }
        rows.iter()
            .filter(|(_, cells)| self.holds_subject(cells))
            .count() as u64
    }
    async fn others(&mut self) -> String {
        let rows = self.rows().await;
        assert!(!self.subject_rows.is_empty(), "subject_items first");
        let others: Vec<_> = rows
            .iter()
            .filter(|(key, _)| !self.subject_rows.contains(key))
            .collect();
        format!("{others:?}")
    }
}

async fn load_ccm(ado: &str, fixture: &lethe_testkit::mssql::CcmFixture) {
    use lethe_testkit::mssql::{ddl, insert_batches};
    for db in ["CCMData", "CCMStatisticalData"] {
        let config = tiberius::Config::from_ado_string(&format!(
            "{ado};database={db};encrypt=DANGER_PLAINTEXT"
        ))
        .unwrap();
        let tcp = tokio::net::TcpStream::connect(config.get_addr())
            .await
            .unwrap();
        let mut c = tiberius::Client::connect(config, tcp.compat_write())
            .await
            .unwrap();
        for stmt in ddl(db) {
            c.simple_query(stmt)
                .await
                .unwrap()
                .into_results()
                .await
                .unwrap();
        }
        for t in fixture.tables.iter().filter(|t| t.database == db) {
            for ins in insert_batches(t) {
                let mut q = tiberius::Query::new(ins.sql);
                for p in ins.params {
                    q.bind(p);
                }
                q.execute(&mut c).await.unwrap();
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sql_server_stopped_mid_run_and_restarted() {
    let server = TdsServer::start(TdsConfig::default()).await.unwrap();
    let ado = format!(
        "server=tcp:127.0.0.1,{};user=sa;password=Lethe-Test-1",
        server.addr().port()
    );
    let fixture = lethe_testkit::mssql::generate(10, 40);
    load_ccm(&ado, &fixture).await;
    let john = fixture.planted[0].clone();
    let mut literals: Vec<String> = john
        .plant
        .phone_shapes()
        .into_iter()
        .map(|(_, v)| v)
        .collect();
    literals.extend(john.plant.national.clone());
    literals.push(john.email.to_lowercase());
    let name = format!("{} {}", john.plant.first, john.plant.last);
    let targets = PRESET_NAMES
        .iter()
        .map(|p| {
            MssqlTargetSpec {
                preset: Some((*p).to_owned()),
                url: Some(SecretString::from(format!(
                    "{ado};encrypt=DANGER_PLAINTEXT"
                ))),
                encrypt: Some(Encrypt::Off),
                ..MssqlTargetSpec::default()
            }
            .resolve()
            .unwrap()
        })
        .collect();
    let mssql = MssqlConnector::new(targets, Some(IdentifierHasher::new(HASH_KEY))).unwrap();
    let e = Estate::start(estate_options(Arc::new(mssql))).await;
    let mut tds = Tds {
        server,
        ado,
        fixture,
        email: john.email.to_lowercase(),
        digits: [
            john.plant.national_digits().unwrap(),
            john.plant.e164().unwrap().replace('+', ""),
        ],
        subject_rows: BTreeSet::new(),
    };
    let subject = json!({
        "emails": [john.email],
        "phones": [john.plant.national],
        "names": [name],
    });
    let mut identifiers = literals;
    identifiers.push(name);
    erase_across_restarts(
        &e,
        &mut tds,
        subject,
        Run {
            connector: "mssql",
            outages: &[StepAction::Erase, StepAction::Verify],
            down_errors: &["connection to SQL Server failed or was lost"],
            identifiers,
        },
    )
    .await;
}

// --- CloudLink: its test server ---------------------------------------------

/// The CloudLink test server and the employee being erased.
struct Cloud {
    server: CloudLinkServer,
    john: PlantedEmployee,
}

impl Server for Cloud {
    async fn down(&mut self) {
        self.server.pause().await;
    }
    async fn up(&mut self) {
        self.server.resume().await.unwrap();
    }
    async fn subject_items(&mut self) -> u64 {
        let open = self
            .server
            .conversations()
            .into_iter()
            .filter(|c| self.john.open.contains(&c.conversation_id))
            .count();
        (open + usize::from(self.server.user(&self.john.user_id).is_some())) as u64
    }
    async fn others(&mut self) -> String {
        let users: Vec<Value> = self
            .server
            .users()
            .into_iter()
            .filter(|u| u["userId"] != self.john.user_id.as_str())
            .collect();
        let chats: Vec<_> = self
            .server
            .conversations()
            .into_iter()
            .filter(|c| !self.john.open.contains(&c.conversation_id))
            .collect();
        format!("{users:?} {chats:?}")
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cloudlink_stopped_mid_run_and_restarted() {
    let fixture = cloudlink::generate(10);
    let server = CloudLinkServer::start(CloudLinkConfig::default(), &fixture).await;
    let c = server.config();
    let target = CloudLinkTarget::new(CloudLinkConnection::single_host(
        server.url(),
        &c.account_id,
        &c.username,
        &c.password,
    ));
    let connector =
        CloudLinkConnector::new(vec![target], Some(IdentifierHasher::new(HASH_KEY))).unwrap();
    let e = Estate::start(estate_options(Arc::new(connector))).await;
    let john = fixture.planted_by_email("john.smith@example.com").clone();
    let subject = json!({"emails": [john.email], "names": [john.name()]});
    let identifiers = vec![
        john.email.clone(),
        john.name(),
        john.phone.clone(),
        john.mobile.clone(),
        john.user_id.clone(),
    ];
    let mut cloud = Cloud { server, john };
    erase_across_restarts(
        &e,
        &mut cloud,
        subject,
        Run {
            connector: "cloudlink",
            outages: &[StepAction::Erase, StepAction::Verify],
            down_errors: &["cannot connect"],
            identifiers,
        },
    )
    .await;
}

// --- Elasticsearch: osmem-server ---------------------------------------------

/// osmem-server with the suite's five index families, and two planted
/// people: the one erased and one who must be left alone.
struct Es {
    server: es::EsServer,
    fixture: EsFixture,
    subject: PlantedEs,
    other: PlantedEs,
}

impl Es {
    async fn counts(&self, p: &PlantedEs) -> Vec<u64> {
        let mut out = Vec::new();
        for f in Family::ALL {
            out.push(es_estate::strong_count(&self.server.url, f, p).await);
        }
        out
    }
}

impl Server for Es {
    async fn down(&mut self) {
        tokio::task::block_in_place(|| self.server.stop());
    }
    /// osmem-server keeps everything in memory: the restarted server is
    /// empty, and loading the fixture again restores exactly what it held
    /// before the erasure, which is what it held when it went down (the
    /// erase steps never reached it). For the same reason Elasticsearch
    /// gets no outage before verify: the reload would bring back what was
    /// erased.
    async fn up(&mut self) {
        tokio::task::block_in_place(|| self.server.restart());
        es::load(&self.server.url, &self.fixture).await.unwrap();
    }
    async fn subject_items(&mut self) -> u64 {
        self.counts(&self.subject).await.iter().sum()
    }
    async fn others(&mut self) -> String {
        format!("{:?}", self.counts(&self.other).await)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn elasticsearch_stopped_mid_run_and_restarted() {
    let Some(server) = es::start_or_skip("restarts::elasticsearch_stopped_mid_run_and_restarted")
    else {
        return;
    };
    let fixture = es_estate::fixture();
    es::load(&server.url, &fixture).await.unwrap();
    let e = Estate::start(estate_options(es_estate::connector(&server.url))).await;
    let planted = fixture.planted();
    let (subject, other) = (planted[0].clone(), planted[1].clone());
    let mut identifiers = subject.phone_shapes().to_vec();
    identifiers.extend([
        subject.email.clone(),
        subject.name(),
        subject.account.clone(),
    ]);
    let mut es = Es {
        server,
        fixture,
        subject: subject.clone(),
        other,
    };
    erase_across_restarts(
        &e,
        &mut es,
        es_estate::subject(&subject),
        Run {
            connector: "elasticsearch",
            outages: &[StepAction::Erase],
            down_errors: &["cannot connect"],
            identifiers,
        },
    )
    .await;
}

// --- PostgreSQL: behind a proxy ----------------------------------------------

/// The console's call history in the suite's PostgreSQL, reached by lethe
/// through a proxy. The cluster is shared by every test running at the same
/// time, so it is never stopped: the proxy going down stands in for it,
/// which to lethe looks the same (port closed, connections cut).
struct Pg {
    proxy: lethe_testkit::proxy::TcpProxy,
    /// A direct connection, not through the proxy.
    client: tokio_postgres::Client,
    schema: String,
    shapes: Vec<String>,
    /// Ids of the rows that held the subject before the run.
    subject_rows: Option<Vec<i64>>,
}

impl Server for Pg {
    async fn down(&mut self) {
        self.proxy.stop();
        // The proxy's tasks are aborted, not awaited: wait until its port
        // refuses, then a moment more for the cut connections to go too.
        // A guard against hanging, not a time limit.
        for _ in 0..10_000 {
            if tokio::net::TcpStream::connect(self.proxy.addr())
                .await
                .is_err()
            {
                tokio::time::sleep(Duration::from_millis(50)).await;
                return;
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        panic!("the proxy's port stays open");
    }
    async fn up(&mut self) {
        self.proxy.start().await.unwrap();
    }
    async fn subject_items(&mut self) -> u64 {
        let sql = format!(
            "select id from {}.call_history where caller_number = any($1) or called_number = any($1) \
             or dialed_digits = any($1) or transferred_to_number = any($1)",
            self.schema
        );
        let ids: Vec<i64> = self
            .client
            .query(&sql, &[&self.shapes])
            .await
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect();
        self.subject_rows.get_or_insert_with(|| ids.clone());
        ids.len() as u64
    }
    async fn others(&mut self) -> String {
        let sql = format!(
            "select count(*)::text || ' ' || md5(string_agg(t::text, '|' order by id)) \
             from {}.call_history t where not (id = any($1))",
            self.schema
        );
        let ids = self.subject_rows.as_ref().expect("subject_items first");
        self.client.query_one(&sql, &[ids]).await.unwrap().get(0)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_stopped_mid_run_and_restarted() {
    let Ok(url) = std::env::var("LETHE_TEST_DATABASE_URL") else {
        assert!(
            std::env::var_os("CI").is_none(),
            "LETHE_TEST_DATABASE_URL is not set"
        );
        eprintln!("SKIP restarts::postgres: LETHE_TEST_DATABASE_URL is not set");
        return;
    };
    let (client, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(conn);
    let schema = format!("r_{}", uuid::Uuid::now_v7().simple());
    let fixture = lethe_testkit::Fixture::standard(300);
    lethe_testkit::create_call_history(&client, &schema)
        .await
        .unwrap();
    lethe_testkit::load_call_history(&client, &schema, fixture.rows())
        .await
        .unwrap();
    let john = fixture.plants[0].clone();

    let hostport = url.split('@').nth(1).unwrap().split('/').next().unwrap();
    let proxy = lethe_testkit::proxy::TcpProxy::closed(hostport)
        .await
        .unwrap();
    proxy.start().await.unwrap();
    let spec = PostgresTargetSpec {
        table: Some(TableName::parse(&format!("{schema}.call_history")).unwrap()),
        sslmode: Some(SslMode::Disable),
        connect_timeout_secs: Some(2),
        ..PostgresTargetSpec::preset(
            "console-call-history",
            &url.replace(hostport, &proxy.addr().to_string()),
        )
    };
    let pg = PostgresConnector::new(
        vec![spec.resolve().unwrap()],
        Some(IdentifierHasher::new(HASH_KEY)),
    )
    .unwrap();
    let e = Estate::start(estate_options(Arc::new(pg))).await;
    let shapes: Vec<String> = john.phone_shapes().into_iter().map(|(_, v)| v).collect();
    let name = format!("{} {}", john.first, john.last);
    let subject = json!({"phones": [john.e164().unwrap()], "names": [name]});
    let mut identifiers = shapes.clone();
    identifiers.push(name);
    let mut pg = Pg {
        proxy,
        client,
        schema: schema.clone(),
        shapes,
        subject_rows: None,
    };
    erase_across_restarts(
        &e,
        &mut pg,
        subject,
        Run {
            connector: "postgres",
            outages: &[StepAction::Erase, StepAction::Verify],
            // Refused by the closed port, or a pooled connection found cut.
            down_errors: &["cannot reach the server", "connection closed"],
            identifiers,
        },
    )
    .await;
    pg.client
        .batch_execute(&format!("drop schema {schema} cascade"))
        .await
        .unwrap();
}
