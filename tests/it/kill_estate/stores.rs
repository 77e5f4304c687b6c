//! The two identical sets of servers of the kill test across the estate,
//! loaded alike, and a dump of each store read without lethe.

use super::*;

/// One estate of every kind: the files under `dir/estate`, a fresh
/// PostgreSQL schema, a TDS server (recordings under `dir/recordings`), an
/// osmem-server and a CloudLink server, and `dir/lethe.toml` naming them.
pub(super) struct Stores {
    pub(super) dir: PathBuf,
    pub(super) pg_url: String,
    pub(super) schema: String,
    pub(super) tds: TdsServer,
    pub(super) es: EsServer,
    pub(super) cl: CloudLinkServer,
    pub(super) cfg: PathBuf,
}

impl Stores {
    pub(super) async fn start(dir: &Path, pg_url: &str, es: EsServer) -> Self {
        estate(&dir.join("estate"));

        let (_client, schema) =
            crate::pgstore::call_history_schema(pg_url, "k", &Fixture::standard(PG_ROWS)).await;

        let tds = TdsServer::start(TdsConfig::default()).await.unwrap();
        crate::mssql_estate::load_demo(&tds, MSSQL_ROWS);
        // Every recording the rows name, as the suite's recorder left them.
        let rec_dir = dir.join("recordings");
        let mut c = crate::mssql_estate::client(&tds, "CCMStatisticalData").await;
        let rows = c
            .simple_query("select RecordingLocation from dbo.tblData_LC_CallRecording")
            .await
            .unwrap()
            .into_first_result()
            .await
            .unwrap();
        crate::mssql_estate::place_recordings(
            rows.iter().map(|r| r.get::<&str, _>(0).unwrap()),
            &rec_dir,
        );

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
    pub(super) async fn dump(&self) -> Dump {
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
            let mut c = crate::mssql_estate::client(&self.tds, t.database).await;
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

/// The contents of every store.
pub(super) struct Dump {
    pub(super) files: Vec<(PathBuf, String)>,
    pub(super) recordings: Vec<(PathBuf, String)>,
    pub(super) pg: BTreeMap<String, Value>,
    pub(super) mssql: BTreeMap<String, Value>,
    pub(super) es: BTreeMap<String, Value>,
    pub(super) cl_users: BTreeMap<String, Value>,
    pub(super) cl_conversations: Vec<Conversation>,
}
