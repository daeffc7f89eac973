//! `wary send`: flags -> validated submission config -> wary-smtp -> sysexits exit code.
//!
//! The contract (issue 4 §7): `wary send --server HOST[:PORT] [--tls starttls|implicit|none]
//! [--ca-file PEM] [--tls-server-name NAME] [--from ADDR] [--timeout SECS] [--user NAME
//! --password-file FILE] [--helo NAME] [-t] [RECIPIENT…] < message`, exit codes from
//! sysexits.h: 0 delivered to every recipient, 75 4xx/timeout/network, 69 5xx, 76 protocol
//! violation or TLS downgrade/injection/verification failure, 77 authentication, 65 message or
//! address, 78 flags, 68 unresolvable host. Each failure prints one line on stderr.
//!
//! Beyond the contract: `--mbox` sends every message of an mbox (mboxrd) on stdin over one
//! connection (pipelined, chunked when offered), `--auth-mechanism`, the DSN options
//! `--notify`, `--ret`, `--envid` (RFC 3461), `--verbose`.

mod account;
mod compose;
mod json;
mod outcome;

use crate::term::say;
use outcome::{worst, Settled};
use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;
use wary_smtp::headers;
use wary_smtp::proto::{
    AuthConfig, Credentials, DeliveryReport, Domain, Envelope, Envid, Fault, Mailbox, Mechanism,
    Message, Notify, Ret, ReversePath, Timeouts, TlsMode,
};
use wary_smtp::{Client, ClientConfig, Trust};

/// sysexits.h EX_DATAERR: the message or an address cannot be sent as given.
pub const EX_DATAERR: u8 = 65;
/// sysexits.h EX_NOHOST: the server's name cannot be resolved.
pub const EX_NOHOST: u8 = 68;
/// sysexits.h EX_UNAVAILABLE: a permanent (5xx) refusal.
pub const EX_UNAVAILABLE: u8 = 69;
/// sysexits.h EX_TEMPFAIL: a 4xx reply, a timeout or a network error; try again later.
pub const EX_TEMPFAIL: u8 = 75;
/// sysexits.h EX_PROTOCOL: a protocol violation, TLS downgrade or injection attempt.
pub const EX_PROTOCOL: u8 = 76;
/// sysexits.h EX_NOPERM: authentication failed.
pub const EX_NOPERM: u8 = 77;
/// sysexits.h EX_CONFIG: bad flags or configuration.
pub const EX_CONFIG: u8 = 78;

/// The exit codes, in `wary send --help`.
const EXIT_CODES_HELP: &str = "Each message ends delivered, deferred, refused, unconfirmed or not_sent (see --json and the README). Exit codes (sysexits.h), the most severe over every message and recipient, in this order: 76 protocol violation, TLS downgrade, injection or certificate failure, or a message unconfirmed (sent, no final reply: do not retry blindly); 77 authentication failed; 65 message or address cannot be sent as given; 69 refused (5xx); 75 deferred (4xx, timeout or network error before the content; retry later) or not sent; 0 delivered to every recipient. Before connecting: 78 bad flags; 68 host cannot be resolved.";

/// How the connection is protected.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum TlsArg {
    /// STARTTLS, which must succeed (default port 587).
    Starttls,
    /// TLS from the first byte (default port 465).
    Implicit,
    /// No TLS: plain text, with a warning; AUTH is refused (default port 25).
    None,
}

/// `wary send` flags (boxed, so the subcommand enum stays small).
#[derive(clap::Args, Debug, Clone)]
pub struct SendArgs {
    #[command(flatten)]
    opts: Box<SendOpts>,
}

/// The flags themselves.
#[derive(clap::Args, Debug, Clone)]
#[command(
    after_help = EXIT_CODES_HELP,
    after_long_help = format!("{EXIT_CODES_HELP}\n\n{}", crate::config::EXAMPLE)
)]
pub struct SendOpts {
    /// The submission server, `HOST[:PORT]` (`[::1]:587` for IPv6); default: the account's.
    #[arg(long, value_name = "HOST[:PORT]")]
    server: Option<String>,
    /// Use this account of the config file (default: its default account, unless --server
    /// is given).
    #[arg(short = 'a', long, value_name = "NAME")]
    account: Option<String>,
    /// The config file (default: $XDG_CONFIG_HOME/wary/config.toml, or
    /// ~/.config/wary/config.toml).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// TLS mode [default: starttls, or the account's].
    #[arg(long, value_enum)]
    tls: Option<TlsArg>,
    /// Trust only the CA certificates in this PEM file (instead of the system's).
    #[arg(long, value_name = "PEM")]
    ca_file: Option<PathBuf>,
    /// Verify the certificate against NAME (default: the HOST of --server).
    #[arg(long, value_name = "NAME")]
    tls_server_name: Option<String>,
    /// Envelope sender (default: the address in the message's From: header).
    #[arg(long, value_name = "ADDR")]
    from: Option<String>,
    /// One timeout, in seconds, for every phase (default: RFC 5321 §4.5.3.2's).
    #[arg(long, value_name = "SECS")]
    timeout: Option<u64>,
    /// Log in as NAME after TLS (needs --password-file or an account's password).
    #[arg(long, value_name = "NAME")]
    user: Option<String>,
    /// File holding the password (its first line), or the OAuth2 token with XOAUTH2.
    #[arg(long, value_name = "FILE")]
    password_file: Option<PathBuf>,
    /// The name sent in EHLO (default: the local address as a literal, e.g. [192.0.2.1]).
    #[arg(long, value_name = "NAME")]
    helo: Option<String>,
    /// Take recipients from To:, Cc: and Bcc: (and remove Bcc: from the message).
    #[arg(short = 't')]
    take_recipients: bool,
    /// Use only this AUTH mechanism (PLAIN, LOGIN, SCRAM-SHA-256, XOAUTH2).
    #[arg(long, value_name = "MECH")]
    auth_mechanism: Option<String>,
    /// Read an mbox (mboxrd) from stdin and send every message in it over one connection.
    #[arg(long)]
    mbox: bool,
    /// Do not pipeline commands even when the server offers PIPELINING.
    #[arg(long)]
    no_pipelining: bool,
    /// Do not use BDAT even when the server offers CHUNKING.
    #[arg(long)]
    no_chunking: bool,
    /// DSN: when to notify the sender, `never` or a comma list of `success`, `failure`,
    /// `delay` (RFC 3461 NOTIFY, for every recipient; the server must offer DSN).
    #[arg(long, value_name = "WHEN")]
    notify: Option<String>,
    /// DSN: return the `full` message or only its `hdrs` in a notification (RFC 3461 RET).
    #[arg(long, value_name = "full|hdrs")]
    ret: Option<String>,
    /// DSN: an envelope identifier returned in notifications (RFC 3461 ENVID).
    #[arg(long, value_name = "ID")]
    envid: Option<String>,
    /// Print each message's delivery report on stderr.
    #[arg(short, long)]
    verbose: bool,
    /// Write one JSON document on stdout: every message's status, recipients and replies,
    /// the TLS session and the server (schema in the README).
    #[arg(long)]
    json: bool,
    /// Build the message instead of reading it from stdin: its Subject (From: is --from,
    /// To: the recipients; Date and Message-ID are generated).
    #[arg(long, value_name = "TEXT")]
    subject: Option<String>,
    /// Build the message: its text body.
    #[arg(long, value_name = "TEXT", conflicts_with = "body_file")]
    body: Option<String>,
    /// Build the message: its text body from a UTF-8 file (`-`: stdin).
    #[arg(long, value_name = "FILE")]
    body_file: Option<PathBuf>,
    /// Build the message: an HTML body from a UTF-8 file (with a text body, the two are
    /// alternatives).
    #[arg(long, value_name = "FILE")]
    html: Option<PathBuf>,
    /// Build the message: attach FILE (repeatable; type guessed from the extension).
    #[arg(long, value_name = "FILE")]
    attach: Vec<PathBuf>,
    /// Recipients (added to those found with -t).
    #[arg(value_name = "RECIPIENT")]
    recipients: Vec<String>,
    /// The account's password source (config file), used when --password-file is not given.
    #[arg(skip)]
    secret: Option<crate::config::Secret>,
    /// Who the secret belongs to, for error messages (`account "work"`).
    #[arg(skip)]
    secret_owner: String,
}

/// A failure: the exit code and the one line printed for it.
struct Failure(u8, String);

fn config_error(msg: impl Into<String>) -> Failure {
    Failure(EX_CONFIG, msg.into())
}

/// Runs `wary send`.
pub fn run(args: SendArgs) -> ExitCode {
    run_with_input(args, None)
}

/// Runs `wary send` on `input` (sendmail mode reads stdin itself), or on stdin when `None`.
pub fn run_with_input(args: SendArgs, input: Option<Vec<u8>>) -> ExitCode {
    let opts = &args.opts;
    match send(opts, input) {
        Ok(code) => ExitCode::from(code),
        Err(Failure(code, msg)) => {
            say!("wary send: {msg}");
            if opts.json {
                // Nothing was sent: the document says why, with no messages.
                json::print(&json::Run {
                    server: opts.server.as_deref().unwrap_or_default(),
                    tls: None,
                    auth: None,
                    messages: &[],
                    error: Some(msg),
                    exit_code: code,
                });
            }
            ExitCode::from(code)
        }
    }
}

/// One message ready to go.
struct Outgoing {
    envelope: Envelope,
    message: Message,
}

fn send(args: &SendOpts, input: Option<Vec<u8>>) -> Result<u8, Failure> {
    let args = &account::apply(args)?;
    let config = client_config(args)?;
    envid(args)?;
    let input = match input {
        Some(input) => input,
        None => match compose::build(args)? {
            Some(built) => built,
            None => read_stdin()?,
        },
    };
    let raw_messages = if args.mbox {
        split_mbox(&input)?
    } else {
        vec![input]
    };
    let many = raw_messages.len() > 1;
    // Everything is checked before connecting: a bad message never opens a connection.
    let mut outgoing = Vec::with_capacity(raw_messages.len());
    for (i, raw) in raw_messages.iter().enumerate() {
        let prefix = if many {
            format!("message {}: ", i + 1)
        } else {
            String::new()
        };
        outgoing
            .push(prepare(args, raw).map_err(|Failure(c, m)| Failure(c, format!("{prefix}{m}")))?);
    }
    if outgoing.is_empty() {
        return Err(Failure(
            EX_DATAERR,
            "the mbox on stdin holds no message".into(),
        ));
    }
    if config.tls_mode() == TlsMode::DangerPlainText {
        say!(
            "wary send: warning: --tls none: the message and envelope travel in plain text, readable and alterable by anyone on the path"
        );
    }
    let server = format!("{}:{}", config.host(), config.port());
    let addresses: Vec<Vec<String>> = outgoing
        .iter()
        .map(|o| {
            o.envelope
                .recipients
                .iter()
                .map(|r| r.mailbox.to_string())
                .collect()
        })
        .collect();
    let mut settled: Vec<Settled> = outgoing.iter().map(|_| Settled::NotSent).collect();
    let user = args.user.clone().unwrap_or_default();
    let mut tls = None;
    let mut auth = None;
    let mut round_trips = None;
    // Every message goes through send_many_then_quit: with PIPELINING each envelope goes with
    // the previous message's content (which itself waits for its RCPT replies), and QUIT
    // with the last content, so an mbox of n messages costs n + 1 round trips after the
    // session opens.
    let error = match Client::connect(&config) {
        Err(e) => Some(e),
        Ok(mut client) => {
            tls = client.tls().cloned();
            auth = client
                .authenticated()
                .map(|m| (m.as_str().to_owned(), user.clone()));
            if args.verbose {
                print_session(&client, &user);
            }
            let result = client.send_many_then_quit(
                outgoing.iter().map(|o| (&o.envelope, &o.message)),
                |i, result| {
                    if let Some(slot) = settled.get_mut(i) {
                        *slot = match result {
                            Ok(report) => Settled::Report(report),
                            Err(e) => Settled::Submit(e),
                        };
                    }
                },
            );
            round_trips = Some(client.round_trips());
            // The messages are settled; a failed QUIT changes nothing about them.
            let _ = client.quit();
            result.err()
        }
    };
    // Order-independent (class 7): the most severe code over every message and the
    // connection's own error, by outcome::worst's fixed rank.
    let mut exit = settled.iter().map(Settled::code).fold(0, worst);
    if let Some(e) = &error {
        exit = worst(exit, code_for_fault(e.fault()));
    }
    for (i, s) in settled.iter().enumerate() {
        let prefix = prefix(many, i);
        if args.verbose {
            if let Settled::Report(r) = s {
                print_report(&prefix, r);
            }
        }
        // A lone message that never got its chance is explained by the connection's error.
        if matches!(s, Settled::NotSent) && !many {
            continue;
        }
        if let Some(problem) = s.problem() {
            say!("wary send: {prefix}{problem}");
        }
    }
    if let Some(e) = &error {
        let left = settled
            .iter()
            .filter(|s| !matches!(s.status(), wary_smtp::proto::Status::Delivered))
            .count();
        if many {
            say!("wary send: {server}: {e} ({left} message(s) not delivered)");
        } else {
            say!("wary send: {server}: {e}");
        }
    }
    // The per-connection count only means something for more than one message.
    if let (true, true, Some(n)) = (args.verbose, many, round_trips) {
        say!(
            "wary send: {} message(s) in {n} round trips on this connection (greeting, EHLO, STARTTLS and AUTH included)",
            outgoing.len(),
        );
    }
    if args.json {
        let messages: Vec<(Vec<String>, Settled)> = addresses.into_iter().zip(settled).collect();
        json::print(&json::Run {
            server: &server,
            tls: tls.as_ref(),
            auth,
            messages: &messages,
            error: error.map(|e| e.to_string()),
            exit_code: exit,
        });
    }
    Ok(exit)
}

fn read_stdin() -> Result<Vec<u8>, Failure> {
    let mut input = Vec::new();
    std::io::stdin().read_to_end(&mut input).map_err(|e| {
        Failure(
            EX_DATAERR,
            format!("cannot read the message from stdin: {e}"),
        )
    })?;
    Ok(input)
}

fn prefix(many: bool, i: usize) -> String {
    if many {
        format!("message {}: ", i + 1)
    } else {
        String::new()
    }
}

/// Turns the flags into a client configuration (no I/O except reading the password file).
fn client_config(args: &SendOpts) -> Result<ClientConfig, Failure> {
    let tls = match args.tls.unwrap_or(TlsArg::Starttls) {
        TlsArg::Starttls => TlsMode::StartTls,
        TlsArg::Implicit => TlsMode::Implicit,
        TlsArg::None => TlsMode::DangerPlainText,
    };
    let default_port = match tls {
        TlsMode::StartTls => 587,
        TlsMode::Implicit => 465,
        _ => 25,
    };
    let Some(server) = &args.server else {
        return Err(config_error(
            "no server: give --server HOST[:PORT], or -a ACCOUNT (or a default account) from the config file (see --help)",
        ));
    };
    let (host, port) = split_server(server, default_port)?;
    let mut config = ClientConfig::builder(&host, port)
        .tls(tls)
        .trust(match &args.ca_file {
            Some(p) => Trust::CaFile(p.clone()),
            None => Trust::System,
        })
        .pipelining(!args.no_pipelining)
        .chunking(!args.no_chunking);
    if let Some(name) = &args.tls_server_name {
        config = config.tls_server_name(name);
    }
    if let Some(secs) = args.timeout {
        // Issue 9 class 6: a huge value once overflowed Instant arithmetic; refuse it.
        let max = wary_smtp::proto::timeouts::MAX_TIMEOUT.as_secs();
        if secs == 0 || secs > max {
            return Err(config_error(format!(
                "--timeout {secs}: give 1 to {max} seconds (one day)"
            )));
        }
        config = config.timeouts(Timeouts::uniform(Duration::from_secs(secs)));
    }
    if tls == TlsMode::StartTls && port == 465 {
        // Port 465 speaks TLS from the first byte (RFC 8314 §3.3): a STARTTLS client would
        // wait the whole greeting timeout for a banner that never comes.
        return Err(config_error(
            "--tls starttls to port 465: port 465 is implicit TLS (RFC 8314 §3.3); use --tls implicit, or port 587 for STARTTLS",
        ));
    }
    if let Some(helo) = &args.helo {
        config =
            config.helo(Domain::parse(helo).map_err(|e| config_error(format!("--helo: {e}")))?);
    }
    if args.user.is_none() && args.password_file.is_some() {
        return Err(config_error("--password-file needs --user"));
    }
    if args.user.is_none() && args.auth_mechanism.is_some() {
        return Err(config_error("--auth-mechanism needs --user"));
    }
    if let Some(user) = &args.user {
        if tls == TlsMode::DangerPlainText {
            return Err(config_error(
                "refusing --user with --tls none: the password would travel in plain text (use --tls starttls or implicit)",
            ));
        }
        // The secret is read (its command run) only now that it is known to be needed.
        let secret = match (&args.password_file, &args.secret) {
            (Some(file), _) => read_secret(file)?,
            (None, Some(s)) => s.resolve(&args.secret_owner).map_err(config_error)?,
            (None, None) => {
                return Err(config_error(
                    "--user needs --password-file (or an account with password_file, password_command or password)",
                ))
            }
        };
        let mechanism = match &args.auth_mechanism {
            Some(m) => Some(
                Mechanism::parse(m).map_err(|e| config_error(format!("--auth-mechanism: {e}")))?,
            ),
            None => None,
        };
        let credentials = if mechanism == Some(Mechanism::XOAuth2) {
            Credentials::OAuth2 {
                user: user.clone(),
                token: secret,
            }
        } else {
            Credentials::Password {
                user: user.clone(),
                password: secret,
            }
        };
        let auth = AuthConfig::new(credentials);
        config = config.auth(match mechanism {
            Some(m) => auth.with_mechanism(m),
            None => auth,
        });
    }
    Ok(config.build())
}

/// `HOST`, `HOST:PORT`, `[V6]`, `[V6]:PORT`, or a bare IPv6 address.
fn split_server(server: &str, default_port: u16) -> Result<(String, u16), Failure> {
    let bad = || config_error(format!("--server {server:?}: expected HOST[:PORT]"));
    let port = |p: &str| p.parse::<u16>().ok().filter(|&p| p > 0).ok_or_else(bad);
    let (host, port) = if let Some(rest) = server.strip_prefix('[') {
        let (h, after) = rest.split_once(']').ok_or_else(bad)?;
        match after.strip_prefix(':') {
            Some(p) => (h.to_owned(), port(p)?),
            None if after.is_empty() => (h.to_owned(), default_port),
            None => return Err(bad()),
        }
    } else {
        match server.matches(':').count() {
            0 => (server.to_owned(), default_port),
            1 => {
                let (h, p) = server.split_once(':').ok_or_else(bad)?;
                (h.to_owned(), port(p)?)
            }
            _ => (server.to_owned(), default_port),
        }
    };
    if host.is_empty() || host.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(bad());
    }
    Ok((host, port))
}

fn read_secret(file: &PathBuf) -> Result<String, Failure> {
    let text = std::fs::read_to_string(file)
        .map_err(|e| config_error(format!("--password-file {}: {e}", file.display())))?;
    let line = text.lines().next().unwrap_or_default().to_owned();
    if line.is_empty() {
        return Err(config_error(format!(
            "--password-file {}: the first line is empty",
            file.display()
        )));
    }
    Ok(line)
}

/// Builds the envelope and checks the message.
fn prepare(args: &SendOpts, raw: &[u8]) -> Result<Outgoing, Failure> {
    let data_err = |m: String| Failure(EX_DATAERR, m);
    let mut recipients = Vec::new();
    // The message as it will be sent; -t reads its headers from this form, never from the
    // raw input, so the lines read are the lines sent (issue 9, class 5).
    let mut message = Message::new(raw).map_err(|e| data_err(e.to_string()))?;
    let header_sender = match &args.from {
        None => headers::sender(&message).map_err(|e| data_err(e.to_string()))?,
        Some(_) => None,
    };
    if args.take_recipients {
        let (found, stripped) =
            headers::take_recipients(&message).map_err(|e| data_err(e.to_string()))?;
        recipients = found;
        message = stripped;
    }
    for r in &args.recipients {
        let m = Mailbox::parse(r).map_err(|e| data_err(format!("recipient: {e}")))?;
        if !recipients.contains(&m) {
            recipients.push(m);
        }
    }
    if recipients.is_empty() {
        return Err(if args.take_recipients {
            data_err(
                "no recipients: the message has no To:, Cc: or Bcc: address and none was given"
                    .into(),
            )
        } else {
            config_error("no recipients: give RECIPIENT arguments or -t")
        });
    }
    let from = match &args.from {
        Some(f) if f.is_empty() || f == "<>" => ReversePath::Null,
        Some(f) => {
            ReversePath::Mailbox(Mailbox::parse(f).map_err(|e| data_err(format!("--from: {e}")))?)
        }
        None => match header_sender {
            Some(m) => ReversePath::Mailbox(m),
            None => {
                return Err(data_err(
                    "no sender: the message has no From: address; give --from".into(),
                ))
            }
        },
    };
    Ok(Outgoing {
        envelope: dsn_envelope(args, Envelope::new(from, recipients))?,
        message,
    })
}

/// Adds the DSN options (RFC 3461) to an envelope.
fn dsn_envelope(args: &SendOpts, mut envelope: Envelope) -> Result<Envelope, Failure> {
    if let Some(when) = &args.notify {
        let notify = parse_notify(when).ok_or_else(|| {
            config_error(format!(
                "--notify {when:?}: expected never or success,failure,delay"
            ))
        })?;
        for r in &mut envelope.recipients {
            r.notify = Some(notify);
        }
    }
    envelope.ret = match args.ret.as_deref() {
        None => None,
        Some(r) if r.eq_ignore_ascii_case("full") => Some(Ret::Full),
        Some(r) if r.eq_ignore_ascii_case("hdrs") => Some(Ret::Headers),
        Some(r) => return Err(config_error(format!("--ret {r:?}: expected full or hdrs"))),
    };
    envelope.envid = envid(args)?;
    Ok(envelope)
}

/// `--envid`, checked before anything is read or sent (RFC 3461 §4.4: printable US-ASCII,
/// at most 100 characters); a bad one is a flag error (78), never a server's 501.
fn envid(args: &SendOpts) -> Result<Option<Envid>, Failure> {
    args.envid
        .as_deref()
        .map(Envid::parse)
        .transpose()
        .map_err(|e| config_error(format!("--envid: {e}")))
}

fn parse_notify(when: &str) -> Option<Notify> {
    if when.eq_ignore_ascii_case("never") {
        return Some(Notify::Never);
    }
    let (mut success, mut failure, mut delay) = (false, false, false);
    for word in when.split(',') {
        match word.trim().to_ascii_lowercase().as_str() {
            "success" => success = true,
            "failure" => failure = true,
            "delay" => delay = true,
            _ => return None,
        }
    }
    Some(Notify::On {
        success,
        failure,
        delay,
    })
}

/// Splits an mbox (mboxrd: `From ` lines separate messages, `>From ` is unescaped once).
fn split_mbox(data: &[u8]) -> Result<Vec<Vec<u8>>, Failure> {
    let mut messages: Vec<Vec<u8>> = Vec::new();
    let mut current: Option<Vec<u8>> = None;
    for line in data.split_inclusive(|&b| b == b'\n') {
        if line.starts_with(b"From ") {
            messages.extend(current.take());
            current = Some(Vec::new());
            continue;
        }
        let Some(msg) = current.as_mut() else {
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            return Err(Failure(
                EX_DATAERR,
                "--mbox: stdin does not start with a \"From \" line".into(),
            ));
        };
        let quoted = line.iter().take_while(|&&b| b == b'>').count();
        if quoted > 0 && line[quoted..].starts_with(b"From ") {
            msg.extend_from_slice(&line[1..]);
        } else {
            msg.extend_from_slice(line);
        }
    }
    messages.extend(current);
    // The empty line mbox writes after each message is not part of it.
    for m in &mut messages {
        if m.ends_with(b"\n\n") || m.ends_with(b"\r\n\r\n") {
            let cut = if m.ends_with(b"\r\n") { 2 } else { 1 };
            m.truncate(m.len() - cut);
        }
    }
    Ok(messages)
}

pub(crate) fn code_for_fault(f: Fault) -> u8 {
    match f {
        Fault::Protocol => EX_PROTOCOL,
        Fault::Transient => EX_TEMPFAIL,
        Fault::Permanent => EX_UNAVAILABLE,
        Fault::Auth => EX_NOPERM,
        Fault::Input => EX_DATAERR,
        Fault::NoHost => EX_NOHOST,
        _ => EX_CONFIG,
    }
}

/// `-v`: how the session was opened (issue 9: the AUTH mechanism and user).
fn print_session(client: &Client, user: &str) {
    match client.tls() {
        Some(t) => say!(
            "wary send: {} {} with {} (certificate subject: {})",
            t.version,
            t.cipher_suite,
            t.server_name,
            t.peer_subject.as_deref().unwrap_or("unknown")
        ),
        None => say!("wary send: plain text (no TLS)"),
    }
    if let Some(m) = client.authenticated() {
        say!("wary send: logged in as {user:?} with AUTH {m}");
    }
}

/// `-v`: one message's report, in words (4xx is "deferred", never "refused").
fn print_report(prefix: &str, r: &DeliveryReport) {
    say!("wary send: {prefix}status: {}", r.status());
    if !r.attempted {
        return;
    }
    say!(
        "wary send: {prefix}content sent with {}",
        if r.bdat { "BDAT (CHUNKING)" } else { "DATA" }
    );
    if let Some(m) = &r.mail {
        say!(
            "wary send: {prefix}MAIL FROM: {}: {m}",
            outcome::verdict(m.code())
        );
    }
    for (i, x) in r.recipients.iter().enumerate() {
        // A recipient the server never considered is "not tried", never "refused: 503"
        // (issue 9, class 8): MAIL's refusal is the reason, and it is printed above.
        if let Some(mail) = r.mail.as_ref().filter(|m| !m.code().is_positive()) {
            say!(
                "wary send: {prefix}{}: not tried (MAIL FROM was not accepted: {mail})",
                x.mailbox
            );
            continue;
        }
        let (verdict, reply) = match (&x.reply, r.recipient_status(i)) {
            (Some(reply), Some(s)) => (s.as_str(), reply.to_string()),
            _ => (
                "not tried",
                "the transaction ended before its RCPT was answered".to_owned(),
            ),
        };
        say!("wary send: {prefix}{}: {verdict}: {reply}", x.mailbox);
    }
    let fin = r
        .final_reply
        .as_ref()
        .map_or("none".to_owned(), ToString::to_string);
    say!(
        "wary send: {prefix}final reply: {fin} ({} round trips)",
        r.round_trips
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn servers() {
        let ok = |s: &str| split_server(s, 587).ok().unwrap();
        assert_eq!(ok("mx.example"), ("mx.example".into(), 587));
        assert_eq!(ok("127.0.0.1:2525"), ("127.0.0.1".into(), 2525));
        assert_eq!(ok("[::1]:25"), ("::1".into(), 25));
        assert_eq!(ok("[::1]"), ("::1".into(), 587));
        assert_eq!(ok("::1"), ("::1".into(), 587));
        for bad in ["", ":25", "h:0", "h:x", "h:70000", "[::1", "[::1]x", "a b"] {
            assert!(split_server(bad, 25).is_err(), "{bad}");
        }
    }

    #[test]
    fn notify() {
        assert_eq!(parse_notify("NEVER"), Some(Notify::Never));
        assert_eq!(
            parse_notify("failure, delay"),
            Some(Notify::On {
                success: false,
                failure: true,
                delay: true
            })
        );
        assert_eq!(parse_notify("sometimes"), None);
        assert_eq!(parse_notify(""), None);
    }

    #[test]
    fn mbox() {
        let m = split_mbox(b"From a@b Mon\nSubject: 1\n\n>From here\n>>From there\n\nFrom c@d Tue\nSubject: 2\n\nx\n").ok().unwrap();
        assert_eq!(
            m,
            vec![
                b"Subject: 1\n\nFrom here\n>From there\n".to_vec(),
                b"Subject: 2\n\nx\n".to_vec()
            ]
        );
        assert!(split_mbox(b"Subject: no From_ line\n").is_err());
    }
}
