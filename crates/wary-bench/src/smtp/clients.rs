//! The SMTP clients the benchmark measures, each sending the same messages over one
//! connection with STARTTLS and a certificate verified against the run's test CA:
//! wary-smtp's library (`Client::send_many`, and `Client::send` per message for comparison),
//! `wary send --mbox` (a whole process),
//! lettre's `SmtpTransport` with its connection pool (one pooled connection reused), and
//! Python's smtplib (`starttls` with a verifying context, `sendmail` per message).

use super::pki::{Pki, SERVER_NAME};
use anyhow::{bail, Context, Result};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The envelope sender every client uses.
pub const FROM: &str = "bench-sender@example.org";
/// The one recipient of every message.
pub const TO: &str = "bench-rcpt@example.net";

/// A client under test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Client {
    /// wary-smtp's blocking `Client::send_many`, in process.
    WaryLib,
    /// wary-smtp's blocking `Client::send`, one call per message, in process.
    WaryEach,
    /// The `wary send --mbox` command.
    WarySend,
    /// lettre's `SmtpTransport` (pooled), in process.
    Lettre,
    /// Python's smtplib, in a `python3` process.
    Smtplib,
}

/// Every client, in report order.
pub const ALL: [Client; 5] = [
    Client::WaryLib,
    Client::WaryEach,
    Client::WarySend,
    Client::Lettre,
    Client::Smtplib,
];

impl Client {
    /// The id used on the command line.
    pub fn id(self) -> &'static str {
        match self {
            Client::WaryLib => "wary",
            Client::WaryEach => "wary-each",
            Client::WarySend => "wary-send",
            Client::Lettre => "lettre",
            Client::Smtplib => "smtplib",
        }
    }
    /// The label in tables and charts.
    pub fn label(self) -> &'static str {
        match self {
            Client::WaryLib => "wary-smtp send_many",
            Client::WaryEach => "wary-smtp send per message",
            Client::WarySend => "wary send --mbox",
            Client::Lettre => "lettre SmtpTransport (pooled)",
            Client::Smtplib => "Python smtplib",
        }
    }
    /// From a command-line id.
    pub fn from_id(id: &str) -> Option<Client> {
        ALL.into_iter().find(|c| c.id() == id)
    }
}

/// What a client run reported about itself.
#[derive(Debug, Clone, Default)]
pub struct ClientRun {
    /// From before connecting to after QUIT (process start-up included for processes).
    pub wall: Duration,
    /// The client's own count of round trips for the messages, when it keeps one.
    pub own_round_trips: Option<u64>,
}

/// Where a run finds everything.
pub struct Setup<'a> {
    /// The sink.
    pub addr: SocketAddr,
    /// The CA the clients trust.
    pub pki: &'a Pki,
    /// The messages, CRLF line ends.
    pub messages: &'a [Vec<u8>],
    /// The `wary` binary.
    pub wary_bin: &'a Path,
    /// A folder for the run's files.
    pub dir: &'a Path,
    /// Kill a client process after this long.
    pub timeout: Duration,
}

/// Makes `n` small messages (about 500 octets each), one with a line that needs
/// dot-stuffing, all with CRLF line ends.
pub fn messages(n: usize) -> Vec<Vec<u8>> {
    (0..n)
        .map(|i| {
            format!(
                "From: Bench Sender <{FROM}>\r\n\
                 To: Bench Recipient <{TO}>\r\n\
                 Subject: wary-bench message {i}\r\n\
                 Date: Thu, 26 Nov 2026 12:00:00 +0000\r\n\
                 Message-ID: <{i}.wary-bench@example.org>\r\n\
                 MIME-Version: 1.0\r\n\
                 Content-Type: text/plain; charset=us-ascii\r\n\
                 \r\n\
                 This is message {i} of the wary SMTP benchmark.\r\n\
                 It is small on purpose: the cost being measured is waiting, not bytes.\r\n\
                 .A line that starts with a dot, to be stuffed in DATA.\r\n\
                 The quick brown fox jumps over the lazy dog, twice, to fill a line or two\r\n\
                 of text the way a short notification would.\r\n"
            )
            .into_bytes()
        })
        .collect()
}

/// Runs one client against the sink.
pub fn run(client: Client, setup: &Setup) -> Result<ClientRun> {
    match client {
        Client::WaryLib => wary_lib(setup, true),
        Client::WaryEach => wary_lib(setup, false),
        Client::WarySend => wary_send(setup),
        Client::Lettre => lettre(setup),
        Client::Smtplib => smtplib(setup),
    }
}

fn wary_lib(setup: &Setup, many: bool) -> Result<ClientRun> {
    use wary_smtp::proto::{Domain, Envelope, Mailbox, Message, Outcome, ReversePath};
    let start = Instant::now();
    let config = wary_smtp::ClientConfig::builder("127.0.0.1", setup.addr.port())
        .trust(wary_smtp::Trust::CaFile(setup.pki.ca_file.clone()))
        .tls_server_name(SERVER_NAME)
        .helo(Domain::parse("bench.example.org")?)
        .build();
    let mut client = wary_smtp::Client::connect(&config).context("wary: connect")?;
    let envelope = Envelope::new(
        ReversePath::Mailbox(Mailbox::parse(FROM)?),
        vec![Mailbox::parse(TO)?],
    );
    let messages = setup
        .messages
        .iter()
        .map(|m| Message::new(m))
        .collect::<Result<Vec<_>, _>>()?;
    let before = client.round_trips();
    let mut delivered = 0usize;
    let mut refused = Vec::new();
    let mut check = |i: usize, r: Result<wary_smtp::DeliveryReport, String>| match r {
        Ok(report) if report.outcome() == Outcome::Delivered => delivered += 1,
        Ok(report) => refused.push(format!("message {i}: {:?}", report.first_refusal())),
        Err(e) => refused.push(format!("message {i}: {e}")),
    };
    if many {
        client
            .send_many(messages.iter().map(|m| (&envelope, m)), |i, r| {
                check(i, r.map_err(|e| e.to_string()))
            })
            .context("wary: send_many")?;
    } else {
        for (i, m) in messages.iter().enumerate() {
            let r = client
                .send(&envelope, m)
                .with_context(|| format!("wary: message {i}"))?;
            check(i, Ok(r));
        }
    }
    if let Some(first) = refused.first() {
        bail!("wary: {} not delivered, first {first}", refused.len());
    }
    if delivered != messages.len() {
        bail!("wary: {delivered} of {} reported delivered", messages.len());
    }
    let round_trips = client.round_trips() - before;
    client.quit().context("wary: QUIT")?;
    Ok(ClientRun {
        wall: start.elapsed(),
        own_round_trips: Some(u64::from(round_trips)),
    })
}

fn wary_send(setup: &Setup) -> Result<ClientRun> {
    // mboxrd: a `From ` line before each message; `From ` and `>From ` at the start of a
    // body line get one more `>` (none of the benchmark's messages has one).
    let mut mbox = Vec::new();
    for m in setup.messages {
        mbox.extend_from_slice(b"From bench-sender@example.org Thu Nov 26 12:00:00 2026\n");
        mbox.extend_from_slice(&m.replace_crlf());
        mbox.push(b'\n');
    }
    let path = setup.dir.join("messages.mbox");
    std::fs::write(&path, &mbox)?;
    let mut cmd = Command::new(setup.wary_bin);
    cmd.args(["send", "--server"])
        .arg(format!("127.0.0.1:{}", setup.addr.port()))
        .arg("--ca-file")
        .arg(&setup.pki.ca_file)
        .args([
            "--tls-server-name",
            SERVER_NAME,
            "--helo",
            "bench.example.org",
        ])
        .args(["--from", FROM, "--mbox", TO]);
    let start = Instant::now();
    run_process(cmd, &path, setup.timeout, "wary send")?;
    Ok(ClientRun {
        wall: start.elapsed(),
        own_round_trips: None,
    })
}

fn lettre(setup: &Setup) -> Result<ClientRun> {
    use lettre::address::Envelope;
    use lettre::transport::smtp::client::{Certificate, CertificateStore, Tls, TlsParameters};
    use lettre::transport::smtp::extension::ClientId;
    use lettre::transport::smtp::PoolConfig;
    use lettre::{SmtpTransport, Transport};
    let start = Instant::now();
    let tls = TlsParameters::builder(SERVER_NAME.to_owned())
        .certificate_store(CertificateStore::None)
        .add_root_certificate(Certificate::from_pem(setup.pki.ca_pem.as_bytes())?)
        .build_rustls()?;
    // `builder_dangerous` only means "no TLS preset": TLS is then required explicitly.
    let transport = SmtpTransport::builder_dangerous("127.0.0.1")
        .port(setup.addr.port())
        .tls(Tls::Required(tls))
        .hello_name(ClientId::Domain("bench.example.org".to_owned()))
        .timeout(Some(Duration::from_secs(30)))
        .pool_config(PoolConfig::new().max_size(1))
        .build();
    let envelope = Envelope::new(Some(FROM.parse()?), vec![TO.parse()?])?;
    for (i, raw) in setup.messages.iter().enumerate() {
        let response = transport
            .send_raw(&envelope, raw)
            .with_context(|| format!("lettre: message {i}"))?;
        if !response.is_positive() {
            bail!("lettre: message {i} refused: {response:?}");
        }
    }
    // Dropping the transport shuts the pool down, which sends QUIT.
    drop(transport);
    Ok(ClientRun {
        wall: start.elapsed(),
        own_round_trips: None,
    })
}

/// The smtplib client, run by `python3`.
const SMTPLIB_CLIENT: &str = include_str!("smtplib_client.py");

fn smtplib(setup: &Setup) -> Result<ClientRun> {
    let script = setup.dir.join("smtplib_client.py");
    std::fs::write(&script, SMTPLIB_CLIENT)?;
    let data = setup.dir.join("messages.nul");
    std::fs::write(&data, setup.messages.join(&b"\0"[..]))?;
    let mut cmd = Command::new("python3");
    cmd.arg(&script)
        .arg(setup.addr.ip().to_string())
        .arg(setup.addr.port().to_string())
        .arg(&setup.pki.ca_file)
        .arg(&data)
        .args([FROM, TO]);
    let start = Instant::now();
    run_process(cmd, Path::new("/dev/null"), setup.timeout, "smtplib")?;
    Ok(ClientRun {
        wall: start.elapsed(),
        own_round_trips: None,
    })
}

/// Runs a client process with `stdin` from a file; kills it after `timeout`.
fn run_process(mut cmd: Command, stdin: &Path, timeout: Duration, what: &str) -> Result<()> {
    let input = std::fs::File::open(stdin)?;
    let mut child = cmd
        .stdin(input)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("{what}: cannot start {:?}", cmd.get_program()))?;
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        if started.elapsed() > timeout {
            // NOTE: best effort; the child is ours and may have exited meanwhile.
            let _ = child.kill();
            let _ = child.wait();
            bail!("{what}: still running after {timeout:?}, killed");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut stderr = String::new();
    if let Some(mut e) = child.stderr.take() {
        use std::io::Read;
        // NOTE: stderr is only for the error message; a read failure leaves it empty.
        let _ = e.read_to_string(&mut stderr);
    }
    if !status.success() {
        bail!("{what}: {status}: {}", stderr.trim());
    }
    Ok(())
}

/// CRLF to LF, for the mbox (whose lines end in LF; `wary send` turns them back into CRLF).
trait ReplaceCrlf {
    fn replace_crlf(&self) -> Vec<u8>;
}

impl ReplaceCrlf for Vec<u8> {
    fn replace_crlf(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.len());
        let mut i = 0;
        while i < self.len() {
            if self[i] == b'\r' && self.get(i + 1) == Some(&b'\n') {
                i += 1;
                continue;
            }
            out.push(self[i]);
            i += 1;
        }
        out
    }
}

/// A folder for one run's files, removed when dropped.
pub struct RunDir(pub PathBuf);

impl Drop for RunDir {
    fn drop(&mut self) {
        // NOTE: cleaning up is best effort.
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
