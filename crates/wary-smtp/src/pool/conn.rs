//! The pool's connections: the blocking driver run on tokio's blocking threads.
// TODO(merge smtp-drivers): the async driver replaces this.

use super::core::{Connection, Connector};
use crate::client::{Client, ClientConfig};
use crate::error::Error;
use crate::proto::{DeliveryReport, Envelope, Message};
use std::sync::Arc;

/// Opens connections with the blocking driver.
pub(crate) struct Connect;

fn joined<T>(r: Result<T, tokio::task::JoinError>) -> T {
    match r {
        Ok(t) => t,
        // A panic in the driver is a bug; it surfaces where it would without the pool.
        Err(e) => std::panic::resume_unwind(e.into_panic()),
    }
}

impl Connector for Connect {
    type Conn = Client;
    async fn connect(&self, config: &ClientConfig) -> Result<Client, Error> {
        let config = config.clone();
        joined(tokio::task::spawn_blocking(move || Client::connect(&config)).await)
    }
}

impl Connection for Client {
    async fn send_one(
        mut self,
        envelope: Arc<Envelope>,
        message: Arc<Message>,
    ) -> (Client, Result<DeliveryReport, Error>) {
        joined(
            tokio::task::spawn_blocking(move || {
                let r = self.send(&envelope, &message);
                (self, r)
            })
            .await,
        )
    }
    fn ready(&self) -> bool {
        self.is_ready()
    }
    async fn close(self) {
        // Best effort: the server may be gone already.
        let _ = joined(tokio::task::spawn_blocking(move || self.quit()).await);
    }
}
