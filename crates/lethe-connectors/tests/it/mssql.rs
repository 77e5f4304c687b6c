//! The mssql connector against the TDS test server (SQLite behind TDS 7.4,
//! tiberius unchanged as the client): access and erasure of planted
//! people across the eight CCM tables, checked by the test's own
//! `count(*)`s; counters kept; a connection lost mid-erasure leaves the
//! batch all-or-nothing; the connector's SQL stays T-SQL.

use lethe_connectors::mssql::{presets::PRESET_NAMES, Encrypt, MssqlConnector, MssqlTargetSpec};
use lethe_connectors::{BatchSubject, Connector, RetryClass};
use lethe_testkit::mssql::{ddl, generate, insert_batches, CcmFixture, Planted};
use lethe_testkit::tds::{TdsConfig, TdsServer};
use secrecy::SecretString;
use tiberius::{Client, Config, EncryptionLevel};
use tokio::net::TcpStream;
use tokio_util::compat::{Compat, TokioAsyncWriteCompatExt};

use crate::subject;

type Tds = Client<Compat<TcpStream>>;

/// Per table: the columns that can hold a person (what the test counts on).
const PERSONAL: &[(&str, &str, &[&str])] = &[
    (
        "CCMData",
        "tblData_CA_Trace",
        &[
            "ANI",
            "CallerName",
            "DigitsDialed",
            "AccountCode",
            "SmdrRecord",
        ],
    ),
    (
        "CCMData",
        "tblData_InboundTrace",
        &["ANI", "CallerName", "DigitsDialed"],
    ),
    (
        "CCMData",
        "tblData_OutboundTrace",
        &["PhoneNumber", "CalledName"],
    ),
    (
        "CCMData",
        "tblData_VWM_ConditionTrace",
        &["ANI", "VariableValue"],
    ),
    (
        "CCMStatisticalData",
        "ConversationSummary",
        &["ContactName", "ContactAddress", "Subject"],
    ),
    (
        "CCMStatisticalData",
        "tblData_LC_Trace",
        &["ANI", "CallerName", "ContactEmail"],
    ),
    ("CCMStatisticalData", "tblData_LC_Note", &["NoteText"]),
    (
        "CCMStatisticalData",
        "tblData_LC_CallRecording",
        &["RecordingLocation"],
    ),
];

pub(crate) async fn client(server: &TdsServer, database: &str) -> Tds {
    let mut c = Config::new();
    c.host("127.0.0.1");
    c.port(server.addr().port());
    c.database(database);
    c.authentication(tiberius::AuthMethod::sql_server("sa", "Lethe-Test-1"));
    c.encryption(EncryptionLevel::NotSupported);
    let tcp = TcpStream::connect(c.get_addr()).await.unwrap();
    Client::connect(c, tcp.compat_write()).await.unwrap()
}

/// A TDS test server holding the generated estate.
pub(crate) async fn estate(background: usize) -> (TdsServer, CcmFixture) {
    let server = TdsServer::start(TdsConfig::default()).await.unwrap();
    let fixture = generate(42, background);
    for db in ["CCMData", "CCMStatisticalData"] {
        let mut c = client(&server, db).await;
        for stmt in ddl(db) {
            c.simple_query(stmt)
                .await
                .unwrap()
                .into_results()
                .await
                .unwrap();
        }
    }
    for t in &fixture.tables {
        let mut c = client(&server, t.database).await;
        for ins in insert_batches(t) {
            let mut q = tiberius::Query::new(ins.sql);
            for p in ins.params {
                q.bind(p);
            }
            q.execute(&mut c).await.unwrap();
        }
    }
    (server, fixture)
}

fn connector(server: &TdsServer) -> MssqlConnector {
    let ado = format!(
        "server=tcp:127.0.0.1,{};user=sa;password=Lethe-Test-1;encrypt=DANGER_PLAINTEXT",
        server.addr().port()
    );
    let targets = PRESET_NAMES
        .iter()
        .map(|p| {
            MssqlTargetSpec {
                preset: Some((*p).to_owned()),
                url: Some(SecretString::from(ado.clone())),
                encrypt: Some(Encrypt::Off),
                ..MssqlTargetSpec::default()
            }
            .resolve()
            .unwrap()
        })
        .collect();
    MssqlConnector::new(targets, None).unwrap()
}

pub(crate) fn batch(fixture: &CcmFixture, who: &[usize]) -> Vec<BatchSubject> {
    who.iter()
        .map(|&i| {
            let p = &fixture.planted[i];
            let name = format!("{} {}", p.plant.first, p.plant.last);
            BatchSubject {
                subject: subject(
                    &[&p.email],
                    &[p.plant.national.as_deref().unwrap()],
                    &[&name],
                ),
                include_weak: true,
            }
        })
        .collect()
}

/// The test's own count of rows of `table` holding anything of `p`.
async fn count_of(server: &TdsServer, db: &str, table: &str, columns: &[&str], p: &Planted) -> i64 {
    let mut conds = Vec::new();
    for c in columns {
        conds.push(format!(
            "replace(replace(replace(replace(replace([{c}], ' ', ''), '-', ''), '(', ''), ')', ''), '+', '') like '%{}%'",
            p.last7()
        ));
        conds.push(format!("upper([{c}]) like '%{}%'", p.surname15()));
        conds.push(format!("lower([{c}]) like '%{}%'", p.email.to_lowercase()));
    }
    scalar(
        server,
        db,
        &format!(
            "select count(*) from [dbo].[{table}] where {}",
            conds.join(" or ")
        ),
    )
    .await
}

pub(crate) async fn scalar(server: &TdsServer, db: &str, sql: &str) -> i64 {
    let mut c = client(server, db).await;
    let row = c
        .simple_query(sql)
        .await
        .unwrap()
        .into_row()
        .await
        .unwrap()
        .unwrap();
    row.try_get::<i32, _>(0)
        .map(|v| v.map(i64::from))
        .or_else(|_| row.try_get::<i64, _>(0))
        .unwrap()
        .unwrap_or(0)
}

#[tokio::test]
async fn access_and_erasure_of_planted_people_across_the_eight_tables() {
    let (server, fixture) = estate(120).await;
    let lethe = connector(&server);
    lethe.record_sql();
    let erase_who = batch(&fixture, &[0, 1]);
    let mary = &fixture.planted[2];
    let mut mary_before = Vec::new();
    let mut sums_before = Vec::new();
    for (db, table, columns) in PERSONAL {
        for (i, b) in erase_who.iter().enumerate() {
            let p = &fixture.planted[i];
            let (strong, weak) = p.expected[table];
            assert_eq!(
                count_of(&server, db, table, columns, p).await,
                (strong + weak) as i64,
                "{table}: planted rows"
            );
            let _ = b;
        }
        mary_before.push(count_of(&server, db, table, columns, mary).await);
        sums_before.push(
            scalar(
                &server,
                db,
                &format!("select count(*) from [dbo].[{table}]"),
            )
            .await,
        );
    }
    let duration_before = scalar(
        &server,
        "CCMData",
        "select sum(Duration) from [dbo].[tblData_CA_Trace]",
    )
    .await;
    let peg_before = scalar(
        &server,
        "CCMStatisticalData",
        "select sum(PegCount) from [dbo].[tblData_LC_Trace]",
    )
    .await;

    for (preset, (db, table, columns)) in PRESET_NAMES.iter().zip(PERSONAL) {
        let found = lethe.discover(preset, &erase_who).await.unwrap();
        for (i, f) in found.iter().enumerate() {
            let (strong, weak) = fixture.planted[i].expected[table];
            assert_eq!(
                (f.matched, f.weak),
                (strong as u64, weak as u64),
                "{preset}: discover of planted {i}"
            );
        }
        let exported = lethe.export(preset, &erase_who).await.unwrap();
        for (i, e) in exported.iter().enumerate() {
            let (strong, weak) = fixture.planted[i].expected[table];
            assert_eq!(
                e.records.len(),
                strong + weak,
                "{preset}: export of planted {i}"
            );
        }
        let erased = lethe.erase(preset, &erase_who).await.unwrap();
        for (i, e) in erased.iter().enumerate() {
            let (strong, weak) = fixture.planted[i].expected[table];
            assert_eq!(
                e.affected,
                (strong + weak) as u64,
                "{preset}: erasure of planted {i}"
            );
        }
        let verify = lethe.discover(preset, &erase_who).await.unwrap();
        assert!(
            verify.iter().all(|f| f.matched == 0 && f.weak == 0),
            "{preset}: verify finds nothing"
        );
        for i in 0..2 {
            assert_eq!(
                count_of(&server, db, table, columns, &fixture.planted[i]).await,
                0,
                "{table}: planted {i} gone"
            );
        }
    }
    for (k, (db, table, columns)) in PERSONAL.iter().enumerate() {
        assert_eq!(
            count_of(&server, db, table, columns, mary).await,
            mary_before[k],
            "{table}: bystander untouched"
        );
        let rows = scalar(
            &server,
            db,
            &format!("select count(*) from [dbo].[{table}]"),
        )
        .await;
        assert_eq!(rows, sums_before[k], "{table}: anonymised, not deleted");
    }
    assert_eq!(
        scalar(
            &server,
            "CCMData",
            "select sum(Duration) from [dbo].[tblData_CA_Trace]"
        )
        .await,
        duration_before
    );
    assert_eq!(
        scalar(
            &server,
            "CCMStatisticalData",
            "select sum(PegCount) from [dbo].[tblData_LC_Trace]"
        )
        .await,
        peg_before
    );

    let sql = lethe.recorded_sql();
    assert!(!sql.is_empty());
    for s in &sql {
        let lower = s.to_lowercase();
        assert!(
            !lower.contains("limit") && !s.contains("||") && !lower.contains("returning"),
            "{s}"
        );
    }
}

#[tokio::test]
async fn a_connection_lost_mid_erasure_changes_nothing_and_the_retry_finishes() {
    let (server, fixture) = estate(60).await;
    let lethe = connector(&server);
    let who = batch(&fixture, &[0, 1]);
    let (db, table, columns) = PERSONAL[0];
    let john = &fixture.planted[0];
    // Reads the table's columns once, so the erasure below is begin,
    // select, update, commit.
    lethe.discover("ccm-ca-trace", &who).await.unwrap();
    let before = count_of(&server, db, table, columns, john).await;
    server.drop_connection_at_statement(server.statements_executed() + 3);
    let err = lethe.erase("ccm-ca-trace", &who).await.unwrap_err();
    assert_eq!(err.class, RetryClass::Transient, "{}", err.message);
    assert_eq!(
        count_of(&server, db, table, columns, john).await,
        before,
        "nothing of the batch applied"
    );
    let erased = lethe.erase("ccm-ca-trace", &who).await.unwrap();
    let (strong, weak) = john.expected[table];
    assert_eq!(erased[0].affected, (strong + weak) as u64);
    assert_eq!(count_of(&server, db, table, columns, john).await, 0);
}

#[tokio::test]
async fn a_missing_table_is_permanent_and_says_what_to_fix() {
    let (server, _) = estate(5).await;
    let ado = format!(
        "server=tcp:127.0.0.1,{};user=sa;password=Lethe-Test-1;encrypt=DANGER_PLAINTEXT",
        server.addr().port()
    );
    let target = MssqlTargetSpec {
        preset: Some("ccm-lc-note".into()),
        url: Some(SecretString::from(ado)),
        encrypt: Some(Encrypt::Off),
        table: Some("[CCMData].[dbo].[tblData_LC_Note]".into()),
        ..MssqlTargetSpec::default()
    }
    .resolve()
    .unwrap();
    let lethe = MssqlConnector::new(vec![target], None).unwrap();
    let who = vec![BatchSubject {
        subject: crate::john(),
        include_weak: false,
    }];
    let err = lethe.discover("ccm-lc-note", &who).await.unwrap_err();
    assert_eq!(err.class, RetryClass::Permanent, "{}", err.message);
    assert!(
        err.message.contains("ccm-lc-note") && err.message.contains("208"),
        "{}",
        err.message
    );
    assert!(!err.message.contains("Lethe-Test-1"));
}

#[tokio::test]
async fn a_batch_beyond_the_parameter_limit_is_split_and_stays_one_transaction() {
    let (server, fixture) = estate(400).await;
    let lethe = connector(&server);
    lethe.record_sql();
    // Every background caller of the Leeds range at once: about 9,000
    // phone variants, far over 2,100 parameters per statement.
    // 0113 496 0500 is the contact center's own number (every row's DNIS):
    // not a person, not in the batch.
    let who: Vec<BatchSubject> = (0..1000)
        .filter(|n| *n != 500)
        .map(|n| BatchSubject {
            subject: subject(&[], &[&format!("0113 496 0{n:03}")], &[]),
            include_weak: false,
        })
        .collect();
    let (db, table) = ("CCMData", "tblData_InboundTrace");
    let leeds = "select count(*) from [dbo].[tblData_InboundTrace] \
                 where replace(replace(replace([ANI], ' ', ''), '-', ''), '+', '') like '%1134960%' \
                 and replace(replace(replace([ANI], ' ', ''), '-', ''), '+', '') not like '%1134960500%'";
    let before = scalar(&server, db, leeds).await;
    let rows = scalar(
        &server,
        db,
        "select count(*) from [dbo].[tblData_InboundTrace]",
    )
    .await;
    assert!(
        before > 400,
        "background and weak rows hold Leeds numbers: {before}"
    );
    let john = &fixture.planted[0];
    let john_before = count_of(&server, db, table, &["ANI"], john).await;

    let found = lethe.discover("ccm-inbound-trace", &who).await.unwrap();
    assert_eq!(found.iter().map(|f| f.matched).sum::<u64>(), before as u64);
    let erased = lethe.erase("ccm-inbound-trace", &who).await.unwrap();
    assert_eq!(
        erased.iter().map(|e| e.affected).sum::<u64>(),
        before as u64
    );
    assert_eq!(scalar(&server, db, leeds).await, 0);
    assert_eq!(
        scalar(
            &server,
            db,
            "select count(*) from [dbo].[tblData_InboundTrace]"
        )
        .await,
        rows
    );
    assert_eq!(
        count_of(&server, db, table, &["ANI"], john).await,
        john_before,
        "others untouched"
    );
    let sql = lethe.recorded_sql();
    assert!(
        sql.len() > 4,
        "several selects and chunked updates: {}",
        sql.len()
    );
    for s in &sql {
        assert!(
            s.matches("@P").count() <= 2_000,
            "under SQL Server's parameter limit"
        );
    }
}
