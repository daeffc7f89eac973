//! The pool's connections: the async driver's [`AsyncClient`] over tokio's TCP.

use super::core::{Connection, Connector};
use crate::client::{AsyncClient, ClientConfig};
use crate::error::Error;
use crate::proto::{DeliveryReport, Envelope, Message};
use std::sync::Arc;

/// Opens connections with [`AsyncClient::connect`].
pub(crate) struct Connect;

impl Connector for Connect {
    type Conn = AsyncClient;
    async fn connect(&self, config: &ClientConfig) -> Result<AsyncClient, Error> {
        AsyncClient::connect(config).await
    }
}

impl Connection for AsyncClient {
    async fn send_one(
        mut self,
        envelope: Arc<Envelope>,
        message: Arc<Message>,
    ) -> (AsyncClient, Result<DeliveryReport, Error>) {
        let result = self.send(&envelope, &message).await;
        (self, result)
    }
    fn ready(&self) -> bool {
        self.is_ready()
    }
    async fn close(self) {
        // NOTE: best effort; the server may be gone already, and the pool has nobody to
        // tell: the messages this connection carried all have their reports.
        let _ = self.quit().await;
    }
}
