//! The kill test across every connector at once: `lethe work` is SIGKILLed
//! again and again while it erases and exports a batch of subjects from an
//! estate of files (kill.rs's), the console's PostgreSQL call history, the
//! suite's SQL Server (TDS test server, with call recordings on disk), its
//! Elasticsearch (osmem-server) and CloudLink (test server), then one worker
//! finishes. A kill lands wherever it lands — in a scan, between pages of an
//! Elasticsearch `_bulk`, inside a SQL transaction, between CloudLink's
//! deletes — and the end must be exactly what an uninterrupted run leaves
//! on a second, identical set of servers: every store dumped and compared
//! (nothing lost, nothing applied twice). Independently of lethe, each
//! store is searched for the erased people (gone) and for a person nobody
//! erased (untouched).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::Instant;

use lethe_connectors::elasticsearch::presets::PRESET_NAMES as ES_PRESETS;
use lethe_connectors::mssql::presets::PRESET_NAMES as MSSQL_PRESETS;
use lethe_domain::{RequestKind, SubjectInput};
use lethe_store::{SqliteStore, Store};
use lethe_testkit::cloudlink::{self, CloudLinkConfig, CloudLinkServer, Conversation};
use lethe_testkit::es::{self as esk, EsConfig, EsServer};
use lethe_testkit::tds::{TdsConfig, TdsServer};
use lethe_testkit::{create_call_history, load_call_history, Fixture};
use serde_json::{json, Value};
use tokio_util::compat::TokioAsyncWriteCompatExt;

use crate::kill::{
    all_steps_succeeded, audit_key, config, estate, finish, kill_repeatedly, open_requests,
    relative, submit,
};

const BIN: &str = env!("CARGO_BIN_EXE_lethe");
/// Where `lethe work` finds the SQL Server and CloudLink passwords (the
/// configuration names variables, never secrets). Set in this process so
/// the workers inherit them; every run sets the same values.
const TDS_PASSWORD_ENV: &str = "LETHE_KILL_ESTATE_TDS_PASSWORD";
const CL_PASSWORD_ENV: &str = "LETHE_KILL_ESTATE_CLOUDLINK_PASSWORD";

/// Sizes: big enough that discovery and erasure of the databases take a
/// good part of a second or more, so kills land inside them and not only
/// in the files.
const PG_ROWS: usize = 100_000;
const MSSQL_ROWS: usize = 500;
const ES_BACKGROUND: usize = 300;
/// Extra documents about John in one voice index: erasing them takes
/// several `_bulk` pages, so a kill can fall between two of them.
const ES_JOHN_BULK: usize = 3_000;
const CL_BACKGROUND: usize = 40;

/// One person as the stores hold them: the strong identifiers an
/// independent search looks for.
struct Who {
    /// Lower case.
    emails: &'static [&'static str],
    /// The national number without its leading 0 (`1632960855`): every
    /// shape of the number (E.164, `0044`, `9` trunk prefix, spaces) holds
    /// these digits once separators are dropped.
    digits: &'static [&'static str],
    /// Upper case.
    accounts: &'static [&'static str],
}

/// John Smith: in every store (PostgreSQL plants his number under another
/// surname, which is the same phone).
const JOHN: Who = Who {
    emails: &["john.smith@example.com"],
    digits: &["1632960855"],
    accounts: &["AC5500855"],
};
/// Mary Jones: the files' `mary.jones@example.com`/`01632 960912`, the
/// suite's and CloudLink's `MJones@Example.org`/`01632 960999`, and
/// Elasticsearch's `mary.jones@example.org`; not in PostgreSQL.
const MARY: Who = Who {
    emails: &[
        "mary.jones@example.com",
        "mary.jones@example.org",
        "mjones@example.org",
    ],
    digits: &["1632960912", "1632960999"],
    accounts: &["AC5500999"],
};
/// Maximilian Featherstonehaugh: SQL Server, Elasticsearch and CloudLink
/// (where he has no chats); only an access request is made for him, so
/// everything of his must be untouched.
const MAX: Who = Who {
    emails: &["m.featherstonehaugh@example.org"],
    digits: &["2079460123", "1632960123"],
    accounts: &["AC5500123"],
};
/// PostgreSQL's untouched people: the caller Maximilian Wolfeschlegelstein
/// and the operator Anna Quennell (by her login).
const PG_OTHERS: Who = Who {
    emails: &["corp\\aquennell"],
    digits: &["7700900123"],
    accounts: &[],
};

fn input(emails: &[&str], phones: &[&str], names: &[&str], accounts: &[&str]) -> SubjectInput {
    let v = |x: &[&str]| x.iter().map(|s| (*s).to_owned()).collect();
    SubjectInput {
        emails: v(emails),
        phones: v(phones),
        names: v(names),
        account_numbers: v(accounts),
        ..SubjectInput::default()
    }
}

/// The requests: John erased (and erased again: the second run finds what
/// the first left, nothing), Mary erased under every address and number
/// she has somewhere, Priya (files only) erased, John and Maximilian
/// exported.
fn requests() -> Vec<(RequestKind, SubjectInput)> {
    let john = input(
        &["john.smith@example.com"],
        &["01632 960855"],
        &["John Smith"],
        &["AC5500855"],
    );
    let mary = input(
        &[
            "mary.jones@example.com",
            "mary.jones@example.org",
            "MJones@Example.org",
        ],
        &["01632 960912", "01632 960999"],
        &["Mary Jones"],
        &["AC5500999"],
    );
    let priya = input(&[], &["01632 960977"], &["Priya Patel"], &[]);
    let max = input(
        &["m.featherstonehaugh@example.org"],
        &["020 7946 0123", "01632 960123"],
        &["Maximilian Featherstonehaugh"],
        &["AC5500123"],
    );
    vec![
        (RequestKind::Erasure, john.clone()),
        (RequestKind::Access, john.clone()),
        (RequestKind::Erasure, mary),
        (RequestKind::Access, max),
        (RequestKind::Erasure, priya),
        (RequestKind::Erasure, john),
    ]
}

/// Every shape of every identifier of the requests' subjects that could
/// turn up in a log: what the worker logs must not contain.
fn log_forms() -> Vec<String> {
    let mut forms: Vec<String> = Vec::new();
    let demo =
        lethe_connectors::files::write_demo_estate(&tempfile::tempdir().unwrap().path().join("x"))
            .unwrap();
    for s in &demo.subjects {
        forms.extend(
            s.strong_forms
                .iter()
                .chain(&s.name_forms)
                .map(|f| f.to_string()),
        );
    }
    for who in [&JOHN, &MARY, &MAX] {
        forms.extend(who.emails.iter().map(|e| e.to_string()));
        forms.extend(who.accounts.iter().map(|a| a.to_string()));
        for d in who.digits {
            forms.push(d.to_string());
            forms.push(format!("0{d}"));
            forms.push(format!("+44{d}"));
            forms.push(format!("0{} {}", &d[..4], &d[4..]));
            forms.push(format!("+44 {} {}", &d[..4], &d[4..]));
        }
    }
    forms.extend(
        [
            "020 7946 0123",
            "Maximilian Featherstonehaugh",
            "FEATHERSTONEHAUGH",
            "Featherstonehaugh,Maximilian",
        ]
        .map(str::to_owned),
    );
    forms
}

/// One estate of every kind: the files under `dir/estate`, a fresh
/// PostgreSQL schema, a TDS server (recordings under `dir/recordings`), an
/// osmem-server and a CloudLink server, and `dir/lethe.toml` naming them.
struct Stores {
    dir: PathBuf,
    pg_url: String,
    schema: String,
    tds: TdsServer,
    es: EsServer,
    cl: CloudLinkServer,
    cfg: PathBuf,
}

impl Stores {
    async fn start(dir: &Path, pg_url: &str, es: EsServer) -> Self {
        estate(&dir.join("estate"));

        let (client, conn) = tokio_postgres::connect(pg_url, tokio_postgres::NoTls)
            .await
            .unwrap();
        tokio::spawn(conn);
        let schema = format!("k_{}", uuid::Uuid::now_v7().simple());
        create_call_history(&client, &schema).await.unwrap();
        load_call_history(&client, &schema, Fixture::standard(PG_ROWS).rows())
            .await
            .unwrap();

        let tds = TdsServer::start(TdsConfig::default()).await.unwrap();
        let out = Command::new(BIN)
            .args([
                "demo-data",
                "mssql",
                "--rows",
                &MSSQL_ROWS.to_string(),
                "--ado",
                &ado(&tds, None),
            ])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        // Every recording the rows name, as the suite's recorder left them.
        let rec_dir = dir.join("recordings");
        let mut c = tds_client(&tds, "CCMStatisticalData").await;
        let rows = c
            .simple_query("select RecordingLocation from dbo.tblData_LC_CallRecording")
            .await
            .unwrap()
            .into_first_result()
            .await
            .unwrap();
        for r in rows {
            let loc: &str = r.get(0).unwrap();
            let rest = loc
                .strip_prefix("\\\\rec01\\calls\\")
                .expect("every fixture recording is under the configured root");
            let path = rest.split('\\').fold(rec_dir.clone(), |p, c| p.join(c));
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, b"RIFF").unwrap();
        }

        let fixture = esk::generate(&EsConfig {
            background_per_index: ES_BACKGROUND,
            ..EsConfig::default()
        });
        esk::load(&es.url, &fixture).await.unwrap();
        let john = &fixture.planted()[0];
        assert_eq!(john.email, JOHN.emails[0]);
        let voice = esk::fixture::index_name(esk::Family::Voice, esk::fixture::MONTHS[0]);
        esk::load_docs(
            &es.url,
            &voice,
            &esk::bulk_matching(&voice, ES_JOHN_BULK, john),
        )
        .await
        .unwrap();

        let cl = CloudLinkServer::start(
            CloudLinkConfig::default(),
            &cloudlink::generate(CL_BACKGROUND),
        )
        .await;

        let mut toml = format!(
            "max_attempts = 20\n\
             [[postgres]]\npreset = \"console-call-history\"\nurl = \"{pg_url}\"\n\
             sslmode = \"disable\"\ntable = \"{schema}.call_history\"\n"
        );
        for p in MSSQL_PRESETS.iter() {
            toml.push_str(&format!(
                "[[mssql]]\npreset = \"{p}\"\nhost = \"127.0.0.1\"\nport = {}\nuser = \"sa\"\n\
                 password_env = \"{TDS_PASSWORD_ENV}\"\nencrypt = \"off\"\n",
                tds.addr().port()
            ));
            if *p == "ccm-lc-call-recording" {
                toml.push_str(&format!(
                    "recording_roots = [{{ prefix = '\\\\rec01\\calls\\', dir = \"{}\" }}]\n",
                    rec_dir.display()
                ));
            }
        }
        for p in ES_PRESETS.iter() {
            toml.push_str(&format!(
                "[[elasticsearch]]\npreset = \"{p}\"\nurl = \"{}\"\n",
                es.url
            ));
        }
        let c = cl.config();
        toml.push_str(&format!(
            "[[cloudlink]]\nbase_url = \"{url}\"\nchat_url = \"{url}\"\nallow_http = true\n\
             account_id = \"{}\"\nusername = \"{}\"\npassword_env = \"{CL_PASSWORD_ENV}\"\n",
            c.account_id,
            c.username,
            url = cl.url()
        ));
        let store_url = format!("sqlite://{}", dir.join("lethe.db").display());
        let cfg = config(dir, &store_url, &toml);
        Stores {
            dir: dir.to_path_buf(),
            pg_url: pg_url.to_owned(),
            schema,
            tds,
            es,
            cl,
            cfg,
        }
    }

    /// Everything every store holds now, read directly from the servers.
    async fn dump(&self) -> Dump {
        // PostgreSQL: every row as JSON, by id (both schemas are loaded
        // alike, so ids match).
        let (client, conn) = tokio_postgres::connect(&self.pg_url, tokio_postgres::NoTls)
            .await
            .unwrap();
        tokio::spawn(conn);
        let pg = client
            .query(
                &format!(
                    "select id, to_jsonb(t)::text from {}.call_history t order by id",
                    self.schema
                ),
                &[],
            )
            .await
            .unwrap()
            .into_iter()
            .map(|r| {
                let id: i64 = r.get(0);
                let row: String = r.get(1);
                (format!("{id:012}"), serde_json::from_str(&row).unwrap())
            })
            .collect();

        // SQL Server: every row of the eight tables, by table and key.
        let mut mssql = BTreeMap::new();
        for t in lethe_testkit::mssql::generate(42, 0).tables {
            let mut c = tds_client(&self.tds, t.database).await;
            let rows = c
                .simple_query(format!("select * from dbo.{}", t.name))
                .await
                .unwrap()
                .into_first_result()
                .await
                .unwrap();
            for r in rows {
                let mut cells = Vec::new();
                let mut key = String::new();
                for (i, (col, data)) in r.cells().enumerate() {
                    let v = match data {
                        tiberius::ColumnData::String(Some(s)) => Value::String(s.to_string()),
                        tiberius::ColumnData::String(None) => Value::Null,
                        other => json!([format!("{other:?}")]),
                    };
                    if i == 0 {
                        key = format!("{}.{}={v}", t.name, col.name());
                    }
                    cells.push(v);
                }
                assert!(
                    mssql.insert(key, Value::Array(cells)).is_none(),
                    "{}: first column is not a key",
                    t.name
                );
            }
        }

        // Elasticsearch: every document's source, by index and id.
        let http = reqwest::Client::new();
        let mut es = BTreeMap::new();
        let r = http
            .post(format!("{}/_refresh", self.es.url))
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success());
        // The fixture's index names (its documents do not matter here).
        let names = esk::generate(&EsConfig {
            background_per_index: 0,
            ..EsConfig::default()
        });
        for i in &names.indices {
            let index = &i.name;
            let v: Value = http
                .post(format!("{}/{index}/_search", self.es.url))
                .json(&json!({"size": 10_000, "query": {"match_all": {}}}))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            let hits = v["hits"]["hits"].as_array().unwrap();
            assert!(hits.len() < 10_000, "{index}: more than one page");
            for h in hits {
                es.insert(
                    format!("{index}/{}", h["_id"].as_str().unwrap()),
                    h["_source"].clone(),
                );
            }
        }

        // CloudLink: users by id, conversations with their messages.
        let cl_users = self
            .cl
            .users()
            .into_iter()
            .map(|u| (u["userId"].as_str().unwrap().to_owned(), u))
            .collect();
        let mut cl_conversations = self.cl.conversations();
        cl_conversations.sort_by(|a, b| a.conversation_id.cmp(&b.conversation_id));

        Dump {
            files: relative(&self.dir.join("estate")),
            recordings: relative(&self.dir.join("recordings")),
            pg,
            mssql,
            es,
            cl_users,
            cl_conversations,
        }
    }
}

fn ado(tds: &TdsServer, database: Option<&str>) -> String {
    let mut s = format!(
        "server=tcp:127.0.0.1,{};user=sa;password={}",
        tds.addr().port(),
        TdsConfig::default().password
    );
    if let Some(db) = database {
        s.push_str(&format!(";database={db};encrypt=DANGER_PLAINTEXT"));
    }
    s
}

async fn tds_client(
    tds: &TdsServer,
    database: &str,
) -> tiberius::Client<tokio_util::compat::Compat<tokio::net::TcpStream>> {
    let config = tiberius::Config::from_ado_string(&ado(tds, Some(database))).unwrap();
    let tcp = tokio::net::TcpStream::connect(config.get_addr())
        .await
        .unwrap();
    tiberius::Client::connect(config, tcp.compat_write())
        .await
        .unwrap()
}

/// The contents of every store.
struct Dump {
    files: Vec<(PathBuf, String)>,
    recordings: Vec<(PathBuf, String)>,
    pg: BTreeMap<String, Value>,
    mssql: BTreeMap<String, Value>,
    es: BTreeMap<String, Value>,
    cl_users: BTreeMap<String, Value>,
    cl_conversations: Vec<Conversation>,
}

/// Whether any string in `v` holds one of `who`'s strong identifiers (a
/// number in any shape: its digits appear in the string's digits).
fn holds(v: &Value, who: &Who) -> bool {
    match v {
        Value::String(s) => {
            let lower = s.to_lowercase();
            let digits: String = s.chars().filter(char::is_ascii_digit).collect();
            who.emails.iter().any(|e| lower.contains(e))
                || who
                    .accounts
                    .iter()
                    .any(|a| lower.contains(&a.to_lowercase()))
                || who.digits.iter().any(|d| digits.contains(d))
        }
        Value::Array(a) => a.iter().any(|x| holds(x, who)),
        Value::Object(o) => o.values().any(|x| holds(x, who)),
        _ => false,
    }
}

/// Rows (documents, users) of `rows` holding `who`.
fn count(rows: &BTreeMap<String, Value>, who: &Who) -> usize {
    rows.values().filter(|r| holds(r, who)).count()
}

/// The rows (documents, users) of `rows` holding `who`.
fn untouched<'a>(rows: &'a BTreeMap<String, Value>, who: &Who) -> Vec<&'a Value> {
    rows.values().filter(|r| holds(r, who)).collect()
}

/// Recordings whose file name holds one of `who`'s numbers.
fn recordings_of(recs: &[(PathBuf, String)], who: &Who) -> usize {
    recs.iter()
        .filter(|(p, _)| holds(&Value::String(p.display().to_string()), who))
        .count()
}

/// Open CloudLink conversations one of `users` takes part in.
fn open_chats_of(d: &Dump, users: &[String]) -> usize {
    d.cl_conversations
        .iter()
        .filter(|c| c.is_open() && c.participants.iter().any(|p| users.contains(p)))
        .count()
}

/// Compares two stores' contents entry by entry; a difference is named by
/// its key only (the values are fixture data, kept out of the output).
fn same<K: Ord + std::fmt::Debug, V: PartialEq>(
    what: &str,
    a: &BTreeMap<K, V>,
    e: &BTreeMap<K, V>,
) {
    let only_a: Vec<&K> = a.keys().filter(|k| !e.contains_key(k)).collect();
    let only_e: Vec<&K> = e.keys().filter(|k| !a.contains_key(k)).collect();
    assert!(
        only_a.is_empty() && only_e.is_empty(),
        "{what}: entries only after the kills: {only_a:?}; only after the uninterrupted run: {only_e:?}"
    );
    let differ: Vec<&K> = a
        .iter()
        .filter(|(k, v)| e[k] != **v)
        .map(|(k, _)| k)
        .collect();
    assert!(
        differ.is_empty(),
        "{what}: {} entries differ from the uninterrupted run, first {:?}",
        differ.len(),
        differ.first()
    );
}

fn same_tree(what: &str, a: &[(PathBuf, String)], e: &[(PathBuf, String)]) {
    let a: BTreeMap<_, _> = a.iter().cloned().collect();
    let e: BTreeMap<_, _> = e.iter().cloned().collect();
    same(what, &a, &e);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkilled_workers_across_every_connector() {
    let Ok(pg_url) = std::env::var("LETHE_TEST_DATABASE_URL") else {
        assert!(
            std::env::var_os("CI").is_none(),
            "LETHE_TEST_DATABASE_URL is not set"
        );
        eprintln!("SKIP kill_estate: LETHE_TEST_DATABASE_URL is not set");
        return;
    };
    let Some(es_killed) = esk::start_or_skip("kill_estate") else {
        return;
    };
    let es_golden = esk::start(&esk::find_binary().expect("found by start_or_skip"));
    std::env::set_var(TDS_PASSWORD_ENV, TdsConfig::default().password);
    std::env::set_var(CL_PASSWORD_ENV, CloudLinkConfig::default().password);

    let t0 = Instant::now();
    let killed_dir = tempfile::tempdir().unwrap();
    let golden_dir = tempfile::tempdir().unwrap();
    let (killed, golden) = tokio::join!(
        Stores::start(killed_dir.path(), &pg_url, es_killed),
        Stores::start(golden_dir.path(), &pg_url, es_golden)
    );
    let before = killed.dump().await;
    let john_ids: Vec<String> = cl_ids(&before, &JOHN);
    let mary_ids: Vec<String> = cl_ids(&before, &MARY);
    let max_ids: Vec<String> = cl_ids(&before, &MAX);
    // The fixtures hold the people where this test says they are.
    for (store, rows) in [
        ("postgres", &before.pg),
        ("mssql", &before.mssql),
        ("elasticsearch", &before.es),
        ("cloudlink", &before.cl_users),
    ] {
        assert!(
            count(rows, &JOHN) > 0,
            "{store}: John is not in the fixture"
        );
        if store != "postgres" {
            assert!(
                count(rows, &MARY) > 0,
                "{store}: Mary is not in the fixture"
            );
            assert!(
                count(rows, &MAX) > 0,
                "{store}: Maximilian is not in the fixture"
            );
        }
    }
    assert!(count(&before.pg, &PG_OTHERS) > 0);
    assert!(recordings_of(&before.recordings, &JOHN) > 0);
    assert!(open_chats_of(&before, &john_ids) > 0 && open_chats_of(&before, &mary_ids) > 0);
    eprintln!(
        "kill_estate: servers loaded in {:.1} s",
        t0.elapsed().as_secs_f64()
    );

    // The uninterrupted run: one worker, start to end.
    let t1 = Instant::now();
    let golden_store: Arc<dyn Store> = Arc::new(
        SqliteStore::open(&golden_dir.path().join("lethe.db"), audit_key())
            .await
            .unwrap(),
    );
    for (kind, input) in requests() {
        submit(golden_store.as_ref(), kind, &input).await;
    }
    let golden_log = golden_dir.path().join("work.log");
    finish(&golden.cfg, &golden_log, golden_store.as_ref()).await;
    let golden_ms = t1.elapsed().as_millis() as u64;
    all_steps_succeeded(golden_store.as_ref()).await;
    eprintln!(
        "kill_estate: uninterrupted run took {:.1} s",
        t1.elapsed().as_secs_f64()
    );

    // The same work, killed again and again, then finished by one worker.
    let t2 = Instant::now();
    let store: Arc<dyn Store> = Arc::new(
        SqliteStore::open(&killed_dir.path().join("lethe.db"), audit_key())
            .await
            .unwrap(),
    );
    for (kind, input) in requests() {
        submit(store.as_ref(), kind, &input).await;
    }
    let log = killed_dir.path().join("work.log");
    // The schedule is seeded, in proportion to the uninterrupted run's
    // length (5% to 40% of it per worker), so that kills fall in every
    // phase — discovery, exports, erasure, verify — however busy the
    // machine is.
    kill_repeatedly(&killed.cfg, &log, 12, golden_ms / 20..golden_ms * 2 / 5).await;
    let open_after_kills = open_requests(store.as_ref()).await;
    finish(&killed.cfg, &log, store.as_ref()).await;
    let cut = all_steps_succeeded(store.as_ref()).await;
    let mut per_connector: BTreeMap<&str, usize> = BTreeMap::new();
    for (k, n) in &cut {
        *per_connector
            .entry(k.split(' ').next().unwrap())
            .or_default() += n;
    }
    eprintln!(
        "kill_estate: 12 kills and the last worker took {:.1} s; {open_after_kills} requests \
         were open after the kills; attempts cut by SIGKILL and re-run, per connector: \
         {per_connector:?}; per connector and action: {cut:?}",
        t2.elapsed().as_secs_f64()
    );

    let after = killed.dump().await;
    let expected = golden.dump().await;

    // Independently of lethe: the erased people are gone from every store
    // and the people nobody erased are as they were.
    for (store, a, b) in [
        ("postgres", &after.pg, &before.pg),
        ("mssql", &after.mssql, &before.mssql),
        ("elasticsearch", &after.es, &before.es),
        ("cloudlink users", &after.cl_users, &before.cl_users),
    ] {
        assert_eq!(count(a, &JOHN), 0, "{store}: John is still there");
        assert_eq!(count(a, &MARY), 0, "{store}: Mary is still there");
        for other in [&MAX, &PG_OTHERS] {
            assert!(
                untouched(a, other) == untouched(b, other),
                "{store}: data of a person nobody erased changed"
            );
        }
    }
    assert_eq!(recordings_of(&after.recordings, &JOHN), 0);
    assert_eq!(recordings_of(&after.recordings, &MARY), 0);
    assert_eq!(
        recordings_of(&after.recordings, &MAX),
        recordings_of(&before.recordings, &MAX)
    );
    assert_eq!(open_chats_of(&after, &john_ids), 0);
    assert_eq!(open_chats_of(&after, &mary_ids), 0);
    for id in john_ids.iter().chain(&mary_ids) {
        assert!(
            !after.cl_users.contains_key(id),
            "a CloudLink user was kept"
        );
    }
    for id in &max_ids {
        assert_eq!(after.cl_users.get(id), before.cl_users.get(id));
    }
    let closed = |d: &Dump| d.cl_conversations.iter().filter(|c| !c.is_open()).count();
    assert_eq!(
        closed(&after),
        closed(&before),
        "closed chats are the suite's, not CloudLink's"
    );

    // Nothing lost, nothing applied twice: every store is exactly what the
    // uninterrupted run left on its twin.
    let debris: Vec<String> = after
        .files
        .iter()
        .chain(&after.recordings)
        .filter(|(p, _)| p.to_string_lossy().contains(".lethe-rewrite-"))
        .map(|(p, _)| p.display().to_string())
        .collect();
    assert!(
        debris.is_empty(),
        "temp files of killed rewrites were left: {debris:?}"
    );
    same_tree("files", &after.files, &expected.files);
    same_tree("recordings", &after.recordings, &expected.recordings);
    same("postgres", &after.pg, &expected.pg);
    same("mssql", &after.mssql, &expected.mssql);
    same("elasticsearch", &after.es, &expected.es);
    same("cloudlink users", &after.cl_users, &expected.cl_users);
    assert!(
        after.cl_conversations == expected.cl_conversations,
        "cloudlink conversations differ from the uninterrupted run"
    );

    let v = store.verify_audit().await.unwrap();
    assert!(v.first_break.is_none(), "{v:?}");
    // The workers' logs (at debug) name no subject, in any shape.
    let forms: Vec<String> = log_forms().iter().map(|f| f.to_lowercase()).collect();
    for log in [&log, &golden_log] {
        let logged = std::fs::read_to_string(log).unwrap().to_lowercase();
        assert!(logged.contains("batch started"), "the log was captured");
        for line in logged.lines() {
            let Some(form) = forms.iter().position(|f| line.contains(f.as_str())) else {
                continue;
            };
            panic!("a worker logged a subject's identifier (form {form} of the list)");
        }
    }
    drop(golden);
    drop(killed);
}

/// CloudLink user ids of `who` (by email or number).
fn cl_ids(d: &Dump, who: &Who) -> Vec<String> {
    d.cl_users
        .iter()
        .filter(|(_, u)| holds(u, who))
        .map(|(id, _)| id.clone())
        .collect()
}
