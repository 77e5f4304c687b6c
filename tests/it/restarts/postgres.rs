//! The console's PostgreSQL (behind a proxy) stopped mid-run and restarted.

use super::*;

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
    let Some(url) = crate::pgstore::database_url_or_skip("restarts::postgres") else {
        return;
    };
    let fixture = lethe_testkit::Fixture::standard(300);
    let (client, schema) = crate::pgstore::call_history_schema(&url, "r", &fixture).await;
    let john = fixture.plants[0].clone();

    let (proxy, pg) = crate::pgstore::proxied_call_history(&url, &schema).await;
    proxy.start().await.unwrap();
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
