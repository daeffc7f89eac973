//! The pool's own rules, on a server that never fails: at most N connections, reused for
//! the next message; closed with QUIT after the maximum of messages, and after the idle
//! timeout.

use super::server::{self, Plan};
use super::{client_config, message, runtime};
use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::time::Duration;
use wary_smtp::proto::Status;
use wary_smtp::{Pool, PoolConfig};

fn clean() -> Plan {
    Plan {
        messages: HashMap::new(),
        conns: Vec::new(),
        pipelining: true,
        chunking: false,
    }
}

#[test]
fn n_connections_reused_by_many_concurrent_senders() {
    runtime().block_on(async {
        let server = server::start(clean()).await;
        let pool = Pool::new(PoolConfig::new(client_config(server.port)).with_max_connections(3));
        let mut tasks = tokio::task::JoinSet::new();
        for k in 0..60 {
            let pool = pool.clone();
            tasks.spawn(async move {
                let (env, msg) = message(k);
                pool.send(&env, &msg).await.unwrap().status()
            });
        }
        while let Some(s) = tasks.join_next().await {
            assert_eq!(s.unwrap(), Status::Delivered);
        }
        assert!(pool.connections() <= 3);
        assert!(
            server.conns.load(Ordering::SeqCst) <= 3,
            "connections were not reused"
        );
        assert!(server.max_open.load(Ordering::SeqCst) <= 3);
        pool.close().await;
        assert_eq!(pool.connections(), 0);
        assert_eq!(server.seen.lock().unwrap().accepted.len(), 60);
    });
}

#[test]
fn a_connection_is_closed_after_its_maximum_of_messages() {
    runtime().block_on(async {
        let server = server::start(clean()).await;
        let config = PoolConfig::new(client_config(server.port))
            .with_max_connections(1)
            .with_max_messages_per_connection(3);
        let pool = Pool::new(config);
        for k in 0..10 {
            let (env, msg) = message(k);
            assert_eq!(
                pool.send(&env, &msg).await.unwrap().status(),
                Status::Delivered
            );
        }
        pool.close().await;
        // 3 + 3 + 3 + 1: four connections, each ended with QUIT.
        assert_eq!(server.conns.load(Ordering::SeqCst), 4);
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert_eq!(server.seen.lock().unwrap().quits, 4);
    });
}

#[test]
fn an_idle_connection_is_closed_after_the_timeout() {
    runtime().block_on(async {
        let server = server::start(clean()).await;
        let config = PoolConfig::new(client_config(server.port))
            .with_idle_timeout(Duration::from_millis(200));
        let pool = Pool::new(config);
        let (env, msg) = message(0);
        assert_eq!(
            pool.send(&env, &msg).await.unwrap().status(),
            Status::Delivered
        );
        assert_eq!(pool.connections(), 1);
        // The pool's own task closes it, with no send to notice: bounded wait.
        let mut waited = Duration::ZERO;
        while server.seen.lock().unwrap().quits == 0 {
            assert!(
                waited < Duration::from_secs(5),
                "idle connection never closed"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
            waited += Duration::from_millis(20);
        }
        assert!(
            waited >= Duration::from_millis(100),
            "closed before the timeout: {waited:?}"
        );
        assert_eq!(pool.connections(), 0);
        let (env, msg) = message(1);
        assert_eq!(
            pool.send(&env, &msg).await.unwrap().status(),
            Status::Delivered
        );
        assert_eq!(server.conns.load(Ordering::SeqCst), 2);
    });
}
