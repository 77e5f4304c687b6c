//! CloudLink (its test server) stopped mid-run and restarted.

use super::*;

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
    let e = Estate::start(estate_options(crate::cloudlink_estate::connector(&server))).await;
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
