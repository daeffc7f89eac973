//! A fault-injecting SMTP server on 127.0.0.1 (tokio): it accepts every message it reads to
//! the end, counts each by its Message-ID, and breaks the connection at a planned step: per
//! connection (at the greeting or EHLO, chosen by the connection's number) or per message
//! (chosen by its sender, the first time its MAIL arrives).

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

/// Where a connection breaks before any message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnFault {
    None,
    /// Closed at once, no greeting.
    DropBeforeGreeting,
    /// `421` greeting, then closed.
    Greeting421,
    /// EHLO read, closed without a reply.
    DropAfterEhlo,
    /// `421` to EHLO, then closed.
    Ehlo421,
    /// EHLO answered, then closed before the first command.
    DropAfterEhloReply,
}

/// Where a message's transaction breaks (the first time its MAIL arrives).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Fault {
    None,
    DropAfterMail,
    Mail421,
    DropAfterRcpt,
    Rcpt421,
    /// DATA read, closed without the 354 (with CHUNKING there is no DATA: as `None`).
    DropAfterData,
    /// `421` to DATA.
    Data421,
    /// Part of the content read, then closed.
    DropMidContent,
    /// The whole content read (the message is accepted, as by a server that queued it and
    /// then crashed), closed before the reply.
    DropAfterDot,
    /// The whole content read, `421` instead of `250` (not accepted).
    Reply421AfterDot,
    /// Accepted, `250` sent, then closed before the next command.
    DropAfter250,
}

pub const FAULTS: [Fault; 11] = [
    Fault::None,
    Fault::DropAfterMail,
    Fault::Mail421,
    Fault::DropAfterRcpt,
    Fault::Rcpt421,
    Fault::DropAfterData,
    Fault::Data421,
    Fault::DropMidContent,
    Fault::DropAfterDot,
    Fault::Reply421AfterDot,
    Fault::DropAfter250,
];

pub struct Plan {
    /// By sender address.
    pub messages: HashMap<String, Fault>,
    /// By connection number (0, 1, ...); beyond the end, `None`.
    pub conns: Vec<ConnFault>,
    pub pipelining: bool,
    pub chunking: bool,
}

#[derive(Default)]
pub struct Seen {
    /// Message-ID -> times accepted.
    pub accepted: HashMap<String, u32>,
    /// Sender -> times its MAIL arrived.
    pub mails: HashMap<String, u32>,
    pub quits: usize,
}

pub struct Server {
    pub port: u16,
    pub seen: Arc<Mutex<Seen>>,
    pub conns: Arc<AtomicUsize>,
    pub max_open: Arc<AtomicUsize>,
}

struct Shared {
    plan: Plan,
    seen: Arc<Mutex<Seen>>,
    conns: Arc<AtomicUsize>,
    open: AtomicUsize,
    max_open: Arc<AtomicUsize>,
}

pub async fn start(plan: Plan) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let shared = Arc::new(Shared {
        plan,
        seen: Arc::default(),
        conns: Arc::default(),
        open: AtomicUsize::new(0),
        max_open: Arc::default(),
    });
    let server = Server {
        port,
        seen: Arc::clone(&shared.seen),
        conns: Arc::clone(&shared.conns),
        max_open: Arc::clone(&shared.max_open),
    };
    tokio::spawn(async move {
        while let Ok((s, _)) = listener.accept().await {
            let n = shared.conns.fetch_add(1, Ordering::SeqCst);
            let open = shared.open.fetch_add(1, Ordering::SeqCst) + 1;
            shared.max_open.fetch_max(open, Ordering::SeqCst);
            let shared = Arc::clone(&shared);
            tokio::spawn(async move {
                let fault = shared.plan.conns.get(n).copied().unwrap_or(ConnFault::None);
                // NOTE: an I/O error is the client closing; the connection just ends.
                let _ = serve(s, &shared, fault).await;
                shared.open.fetch_sub(1, Ordering::SeqCst);
            });
        }
    });
    server
}

type Io = std::io::Result<()>;

async fn serve(s: TcpStream, shared: &Shared, fault: ConnFault) -> Io {
    // Replies are small writes; Nagle would hold each behind the client's delayed ACK.
    s.set_nodelay(true)?;
    let (r, mut w) = s.into_split();
    let mut r = BufReader::new(r);
    match fault {
        ConnFault::DropBeforeGreeting => return Ok(()),
        ConnFault::Greeting421 => return w.write_all(b"421 4.3.2 busy, try later\r\n").await,
        _ => w.write_all(b"220 pool.test ESMTP\r\n").await?,
    }
    let mut current = Fault::None;
    let mut line = String::new();
    loop {
        line.clear();
        if r.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let cmd = line.trim_end().to_owned();
        let verb = cmd.split(' ').next().unwrap_or("").to_ascii_uppercase();
        match verb.as_str() {
            "EHLO" => match fault {
                ConnFault::DropAfterEhlo => return Ok(()),
                ConnFault::Ehlo421 => return w.write_all(b"421 4.3.2 shutting down\r\n").await,
                _ => {
                    let mut caps = String::from("250-pool.test\r\n");
                    if shared.plan.pipelining {
                        caps.push_str("250-PIPELINING\r\n");
                    }
                    if shared.plan.chunking {
                        caps.push_str("250-CHUNKING\r\n");
                    }
                    caps.push_str("250 8BITMIME\r\n");
                    w.write_all(caps.as_bytes()).await?;
                    if fault == ConnFault::DropAfterEhloReply {
                        return Ok(());
                    }
                }
            },
            "MAIL" => {
                let sender = between(&cmd, '<', '>');
                current = {
                    let mut seen = shared.seen.lock().unwrap();
                    let times = seen.mails.entry(sender.clone()).or_default();
                    *times += 1;
                    if *times == 1 {
                        shared
                            .plan
                            .messages
                            .get(&sender)
                            .copied()
                            .unwrap_or(Fault::None)
                    } else {
                        Fault::None
                    }
                };
                match current {
                    Fault::DropAfterMail => return Ok(()),
                    Fault::Mail421 => return w.write_all(b"421 4.3.2 closing\r\n").await,
                    _ => w.write_all(b"250 2.1.0 ok\r\n").await?,
                }
            }
            "RCPT" => match current {
                Fault::DropAfterRcpt => return Ok(()),
                Fault::Rcpt421 => return w.write_all(b"421 4.3.2 closing\r\n").await,
                _ => w.write_all(b"250 2.1.5 ok\r\n").await?,
            },
            "DATA" => {
                match current {
                    Fault::DropAfterData => return Ok(()),
                    Fault::Data421 => return w.write_all(b"421 4.3.2 closing\r\n").await,
                    _ => w.write_all(b"354 go ahead\r\n").await?,
                }
                let mut content = Vec::new();
                let mut first = true;
                loop {
                    let mut l = Vec::new();
                    if r.read_until(b'\n', &mut l).await? == 0 {
                        return Ok(());
                    }
                    if l == b".\r\n" {
                        break;
                    }
                    if !first && current == Fault::DropMidContent {
                        return Ok(());
                    }
                    first = false;
                    content.extend_from_slice(&l);
                }
                if !finish(&mut w, shared, current, &content).await? {
                    return Ok(());
                }
            }
            "BDAT" => {
                let n: usize = cmd
                    .split(' ')
                    .nth(1)
                    .and_then(|n| n.parse().ok())
                    .unwrap_or(0);
                let mut content = vec![0; n];
                if current == Fault::DropMidContent {
                    r.read_exact(&mut content[..n / 2]).await?;
                    return Ok(());
                }
                r.read_exact(&mut content).await?;
                if !finish(&mut w, shared, current, &content).await? {
                    return Ok(());
                }
            }
            "RSET" | "NOOP" => w.write_all(b"250 2.0.0 ok\r\n").await?,
            "QUIT" => {
                shared.seen.lock().unwrap().quits += 1;
                return w.write_all(b"221 2.0.0 bye\r\n").await;
            }
            _ => w.write_all(b"500 5.5.1 unknown command\r\n").await?,
        }
    }
}

/// The end of a message's content; false when the connection is to close now.
async fn finish(
    w: &mut tokio::net::tcp::OwnedWriteHalf,
    shared: &Shared,
    fault: Fault,
    content: &[u8],
) -> std::io::Result<bool> {
    let text = String::from_utf8_lossy(content);
    let id = text
        .lines()
        .find_map(|l| l.strip_prefix("Message-ID: "))
        .map(|v| between(v, '<', '>'))
        .unwrap_or_default();
    let accept = || {
        *shared
            .seen
            .lock()
            .unwrap()
            .accepted
            .entry(id.clone())
            .or_default() += 1
    };
    match fault {
        Fault::DropAfterDot => {
            accept();
            Ok(false)
        }
        Fault::Reply421AfterDot => {
            w.write_all(b"421 4.3.2 closing, not queued\r\n").await?;
            Ok(false)
        }
        Fault::DropAfter250 => {
            accept();
            w.write_all(b"250 2.0.0 queued\r\n").await?;
            Ok(false)
        }
        _ => {
            accept();
            w.write_all(b"250 2.0.0 queued\r\n").await?;
            Ok(true)
        }
    }
}

fn between(s: &str, open: char, close: char) -> String {
    let start = s.find(open).map_or(0, |i| i + 1);
    let end = s[start..].find(close).map_or(s.len(), |i| start + i);
    s[start..end].to_owned()
}
