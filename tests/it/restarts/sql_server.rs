//! SQL Server (the TDS test server) stopped mid-run and restarted.

use super::*;

/// The TDS test server with the CCM fixture loaded through tiberius.
struct Tds {
    server: TdsServer,
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
        crate::mssql_estate::client(&self.server, "CCMData").await
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

async fn load_ccm(server: &TdsServer, fixture: &lethe_testkit::mssql::CcmFixture) {
    use lethe_testkit::mssql::{ddl, insert_batches};
    for db in ["CCMData", "CCMStatisticalData"] {
        let mut c = crate::mssql_estate::client(server, db).await;
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
    let ado = crate::mssql_estate::ado(&server, None);
    let fixture = lethe_testkit::mssql::generate(10, 40);
    load_ccm(&server, &fixture).await;
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
    let mssql = crate::mssql_estate::connector(&ado, None);
    let e = Estate::start(estate_options(mssql)).await;
    let mut tds = Tds {
        server,
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
