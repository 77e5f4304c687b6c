//! Elasticsearch (osmem-server) stopped mid-run and restarted.

use super::*;

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
