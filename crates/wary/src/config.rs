//! wary's config file: named accounts for `wary send` and `wary sendmail`, as msmtp's
//! `~/.msmtprc`, in TOML.
//!
//! ```toml
//! default = "work"                # the account used without -a/--account
//!
//! [account.work]
//! host = "smtp.example.com"       # required
//! port = 587                      # default: 587 starttls, 465 implicit, 25 none
//! tls = "starttls"                # starttls (default) | implicit | none
//! ca_file = "~/certs/work-ca.pem" # default: the system's roots
//! tls_server_name = "smtp.example.com"
//! from = "me@example.com"         # envelope sender when the message has no From:
//! user = "me@example.com"
//! password_command = "pass show mail/work"  # or ["pass", "show", "mail/work"], or
//! # password_file = "~/.config/wary/work.pass", or password = "..." (see below)
//! auth_mechanism = "SCRAM-SHA-256"
//! helo = "laptop.example.com"
//! timeout = 60                    # seconds, for every phase
//! ```
//!
//! Decisions, and why:
//! - **Where:** `$XDG_CONFIG_HOME/wary/config.toml`, else `~/.config/wary/config.toml` (XDG
//!   Base Directory spec: a relative `XDG_CONFIG_HOME` is ignored); `--config FILE` overrides.
//!   A missing default file means "no accounts"; a missing `--config` file is an error.
//! - **Unknown keys are errors** (serde's `deny_unknown_fields`), reported with the line and
//!   column from toml's spans: a misspelt `pasword_file` must not silently mean "no password".
//! - **`password = "..."` is allowed**, as msmtp allows it, because refusing it only pushes
//!   people to worse places; but a file that holds a `password` or a `password_command` is
//!   refused (EX_CONFIG) unless it is owned by the user running wary and neither readable nor
//!   writable by group or others (`chmod 600`). Writable matters as much as readable: whoever
//!   can edit the file can point `host` elsewhere and collect the password, or make
//!   `password_command` run anything. The check is `fstat` of the file already opened (no
//!   race between checking a path and reading another file put there meanwhile).
//! - **`password_command`**: a string runs through `sh -c` (as msmtp's `passwordeval` does,
//!   because people write pipes: `gpg -d f.gpg | head -1`); an array runs without a shell.
//!   The file is the user's own and mode-checked, so the shell adds no injection path.
//!   Its stdin is `/dev/null` (in sendmail mode stdin is the message), stderr is inherited
//!   (gpg and pass talk to the terminal there), stdout is the secret: one trailing newline
//!   is removed; a failure exit, empty output or a second line is an error.
//! - **Relative paths** (`ca_file`, `password_file`) are relative to the config file's
//!   folder; a leading `~/` is the home folder.

use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt;
use std::io::Read;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The config file's documentation, in `wary send --help` (tests/sendmail_cli.rs checks it).
pub const EXAMPLE: &str = r#"Config file: $XDG_CONFIG_HOME/wary/config.toml (else ~/.config/wary/config.toml, or
--config FILE) holds named accounts; -a NAME picks one, else `default` is used (but not
when --server is given). Flags given on the command line override the account.

    default = "work"

    [account.work]
    host = "smtp.example.com"        # required
    port = 587                       # default: 587 starttls, 465 implicit, 25 none
    tls = "starttls"                 # starttls (default) | implicit | none
    from = "me@example.com"          # envelope sender (and From: in sendmail mode)
    user = "me@example.com"
    password_command = "pass show mail/work"   # run by sh -c; or an argv list:
    # password_command = ["pass", "show", "mail/work"]
    # password_file = "work.pass"    # first line; relative to the config's folder
    # password = "..."               # allowed, as in msmtp
    # ca_file = "~/certs/ca.pem"     # trust only these CAs
    # tls_server_name, helo, auth_mechanism, timeout (seconds)

    [account.home]
    host = "mail.example.net"
    tls = "implicit"

Unknown keys are errors (with their line). A file holding password or password_command
must be yours and closed to others (chmod 600), else wary refuses it (exit 78).
password_command's stdout, less one trailing newline, is the password; stdin is
/dev/null; a failure exit or empty output is an error."#;

/// The largest config file read (a config is a few hundred bytes; a huge one is a mistake).
const MAX_CONFIG_BYTES: u64 = 1 << 20;

/// How an account protects the connection (the same words as `--tls`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Tls {
    /// STARTTLS, which must succeed.
    Starttls,
    /// TLS from the first byte.
    Implicit,
    /// No TLS.
    None,
}

/// A password as written in the file; `Debug` never shows it.
#[derive(Clone, Deserialize)]
#[serde(transparent)]
pub struct Password(String);

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

/// Where an account's password comes from. Resolved only when it is about to be used.
#[derive(Clone, Debug)]
pub enum Secret {
    /// `password = "..."` in the (mode-checked) config file.
    Literal(Password),
    /// `password_file`: its first line.
    File(PathBuf),
    /// `password_command`: its output.
    Command(PasswordCommand),
}

/// `password_command`: a shell line or an argv.
#[derive(Clone, Debug, Deserialize)]
#[serde(untagged)]
pub enum PasswordCommand {
    /// Run with `sh -c`.
    Shell(String),
    /// Run as is, no shell.
    Argv(Vec<String>),
}

/// One `[account.NAME]` table: every field optional except `host`; a command-line flag
/// overrides the field.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Account {
    /// Its name (the table's key), filled in after parsing.
    #[serde(skip)]
    pub name: String,
    /// The server's host name or address.
    pub host: String,
    /// The server's port.
    pub port: Option<u16>,
    /// TLS mode.
    pub tls: Option<Tls>,
    /// A PEM file of CA certificates to trust instead of the system's.
    pub ca_file: Option<PathBuf>,
    /// The name the certificate must carry (default: host).
    pub tls_server_name: Option<String>,
    /// The envelope sender (and From: in sendmail mode when the message has none).
    pub from: Option<String>,
    /// The AUTH user name.
    pub user: Option<String>,
    /// A literal password (mode check mandatory).
    pub password: Option<Password>,
    /// A file whose first line is the password.
    pub password_file: Option<PathBuf>,
    /// A command that prints the password.
    pub password_command: Option<PasswordCommand>,
    /// Only this AUTH mechanism.
    pub auth_mechanism: Option<String>,
    /// The EHLO name.
    pub helo: Option<String>,
    /// One timeout in seconds for every phase.
    pub timeout: Option<u64>,
}

impl Account {
    /// The account's password source, if it has one (at most one is allowed).
    pub fn secret(&self) -> Option<Secret> {
        if let Some(p) = &self.password {
            return Some(Secret::Literal(p.clone()));
        }
        if let Some(f) = &self.password_file {
            return Some(Secret::File(f.clone()));
        }
        self.password_command.clone().map(Secret::Command)
    }

    fn holds_secret(&self) -> bool {
        self.password.is_some() || self.password_command.is_some()
    }
}

/// Why the config file cannot be used. Every case is the user's to fix (EX_CONFIG).
#[derive(Debug)]
#[non_exhaustive]
pub enum ConfigError {
    /// The file cannot be opened or read.
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        error: std::io::Error,
    },
    /// Not valid TOML, or not the schema: toml's message names the line, column and key.
    Parse {
        /// The file.
        path: PathBuf,
        /// toml's message (with the line and a caret).
        message: String,
    },
    /// A file holding a secret is open to others.
    Permissions {
        /// The file.
        path: PathBuf,
        /// What is wrong (mode or owner).
        problem: String,
    },
    /// Anything else: no such account, two password sources, a relative XDG path...
    Invalid(String),
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::Io { path, error } => write!(f, "config file {}: {error}", path.display()),
            ConfigError::Parse { path, message } => {
                write!(f, "config file {}: {}", path.display(), message.trim_end())
            }
            ConfigError::Permissions { path, problem } => write!(
                f,
                "config file {}: {problem}; it holds a password or password_command, so only its owner may read or write it: run `chmod 600 {}`",
                path.display(),
                path.display()
            ),
            ConfigError::Invalid(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for ConfigError {}

/// The config file's default place: `$XDG_CONFIG_HOME/wary/config.toml`, else
/// `$HOME/.config/wary/config.toml`; `None` when neither variable gives an absolute path.
pub fn default_path() -> Option<PathBuf> {
    // XDG Base Directory spec: "If an implementation encounters a relative path in any of
    // these variables it should consider the path invalid and ignore it."
    let abs = |v: std::ffi::OsString| Some(PathBuf::from(v)).filter(|p| p.is_absolute());
    if let Some(x) = std::env::var_os("XDG_CONFIG_HOME").and_then(abs) {
        return Some(x.join("wary/config.toml"));
    }
    std::env::var_os("HOME")
        .and_then(abs)
        .map(|h| h.join(".config/wary/config.toml"))
}

/// Picks the account to use: `-a NAME` from `file` (or the default file), else the file's
/// default account. `Ok(None)` when there is no file at the default place, or when the file
/// names no default and `-a` was not given.
pub fn select(file: Option<&Path>, name: Option<&str>) -> Result<Option<Account>, ConfigError> {
    let (path, explicit) = match file {
        Some(p) => (p.to_path_buf(), true),
        None => match default_path() {
            Some(p) => (p, false),
            None if name.is_some() => {
                return Err(ConfigError::Invalid(
                    "-a/--account needs a config file: neither XDG_CONFIG_HOME nor HOME is set (give --config FILE)".into(),
                ))
            }
            None => return Ok(None),
        },
    };
    let file = match read_checked(&path) {
        Ok(f) => f,
        Err(ConfigError::Io { error, .. })
            if !explicit && name.is_none() && error.kind() == std::io::ErrorKind::NotFound =>
        {
            return Ok(None)
        }
        Err(e) => return Err(e),
    };
    let default = file.default_name();
    let mut accounts = file.account;
    let wanted = match (name, default) {
        (Some(n), _) => n.to_owned(),
        (None, Some(d)) => d,
        (None, None) => return Ok(None),
    };
    let Some(mut account) = accounts.remove(&wanted) else {
        let known: Vec<&str> = accounts.keys().map(String::as_str).collect();
        return Err(ConfigError::Invalid(format!(
            "config file {}: no account {wanted:?} (accounts: {})",
            path.display(),
            if known.is_empty() {
                "none".to_owned()
            } else {
                known.join(", ")
            }
        )));
    };
    account.name = wanted;
    let base = path.parent().unwrap_or(Path::new("/"));
    account.ca_file = account.ca_file.map(|p| resolve_path(base, &p));
    account.password_file = account.password_file.map(|p| resolve_path(base, &p));
    Ok(Some(account))
}

/// Parses the file and checks each account.
fn parse(path: &Path, text: &str) -> Result<FileToml, ConfigError> {
    let file: FileToml = toml::from_str(text).map_err(|e| ConfigError::Parse {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    for (name, a) in &file.account {
        let sources = [
            a.password.is_some(),
            a.password_file.is_some(),
            a.password_command.is_some(),
        ];
        if sources.iter().filter(|&&s| s).count() > 1 {
            return Err(ConfigError::Invalid(format!(
                "config file {}: account {name:?} sets more than one of password, password_file and password_command: keep one",
                path.display()
            )));
        }
        if a.host.is_empty() {
            return Err(ConfigError::Invalid(format!(
                "config file {}: account {name:?}: host is empty",
                path.display()
            )));
        }
    }
    if let Some(d) = &file.default {
        if !file.account.contains_key(d) {
            return Err(ConfigError::Invalid(format!(
                "config file {}: default = {d:?} names no [account.{d}] table",
                path.display()
            )));
        }
    }
    Ok(file)
}

/// Opens the file, reads and parses it, and checks the opened file's owner and mode (fstat
/// of the descriptor the text was read from: no race between checking a path and reading
/// another file put there meanwhile). The mode matters only when the file holds a secret,
/// which is known only after parsing.
fn read_checked(path: &Path) -> Result<FileToml, ConfigError> {
    let io = |error| ConfigError::Io {
        path: path.to_path_buf(),
        error,
    };
    let file = std::fs::File::open(path).map_err(io)?;
    let meta = file.metadata().map_err(io)?;
    if !meta.is_file() {
        return Err(ConfigError::Invalid(format!(
            "config file {}: not a regular file",
            path.display()
        )));
    }
    let mut text = String::new();
    file.take(MAX_CONFIG_BYTES + 1)
        .read_to_string(&mut text)
        .map_err(io)?;
    if text.len() as u64 > MAX_CONFIG_BYTES {
        return Err(ConfigError::Invalid(format!(
            "config file {}: larger than {MAX_CONFIG_BYTES} bytes",
            path.display()
        )));
    }
    let parsed = parse(path, &text)?;
    if parsed.account.values().any(Account::holds_secret) {
        check_private(path, meta.mode(), meta.uid())?;
    }
    Ok(parsed)
}

/// A file holding a secret must be the user's own and closed to group and others.
fn check_private(path: &Path, mode: u32, owner: u32) -> Result<(), ConfigError> {
    let me = nix::unistd::geteuid().as_raw();
    if owner != me {
        return Err(ConfigError::Permissions {
            path: path.to_path_buf(),
            problem: format!("it is owned by uid {owner}, not by you (uid {me})"),
        });
    }
    if mode & 0o077 != 0 {
        return Err(ConfigError::Permissions {
            path: path.to_path_buf(),
            problem: format!(
                "its mode {:04o} lets group or others read or write it",
                mode & 0o7777
            ),
        });
    }
    Ok(())
}

/// `~/x` is under the home folder; a relative path is relative to the config's folder.
fn resolve_path(base: &Path, p: &Path) -> PathBuf {
    if let Ok(rest) = p.strip_prefix("~") {
        if let Some(home) = std::env::var_os("HOME") {
            return PathBuf::from(home).join(rest);
        }
    }
    if p.is_relative() {
        base.join(p)
    } else {
        p.to_path_buf()
    }
}

impl Secret {
    /// Reads the secret: a literal, a file's first line, or a command's output. `what` names
    /// the source in errors (`account "work"`).
    pub fn resolve(&self, what: &str) -> Result<String, String> {
        match self {
            Secret::Literal(Password(p)) if p.is_empty() => {
                Err(format!("{what}: password is empty"))
            }
            Secret::Literal(Password(p)) => Ok(p.clone()),
            Secret::File(file) => {
                let text = std::fs::read_to_string(file)
                    .map_err(|e| format!("{what}: password_file {}: {e}", file.display()))?;
                match text.lines().next() {
                    Some(line) if !line.is_empty() => Ok(line.to_owned()),
                    _ => Err(format!(
                        "{what}: password_file {}: the first line is empty",
                        file.display()
                    )),
                }
            }
            Secret::Command(c) => run_password_command(c, what),
        }
    }
}

fn run_password_command(c: &PasswordCommand, what: &str) -> Result<String, String> {
    let (mut cmd, shown) = match c {
        PasswordCommand::Shell(line) => {
            let mut cmd = Command::new("sh");
            cmd.arg("-c").arg(line);
            (cmd, line.clone())
        }
        PasswordCommand::Argv(argv) => {
            let Some((prog, args)) = argv.split_first() else {
                return Err(format!("{what}: password_command is an empty list"));
            };
            let mut cmd = Command::new(prog);
            cmd.args(args);
            (cmd, argv.join(" "))
        }
    };
    let out = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("{what}: password_command `{shown}` cannot run: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "{what}: password_command `{shown}` failed ({}); nothing was sent",
            out.status
        ));
    }
    let mut text = String::from_utf8(out.stdout).map_err(|_| {
        format!("{what}: password_command `{shown}` printed bytes that are not UTF-8")
    })?;
    // One trailing newline is the line's end, not the password (`echo`, `pass show`).
    if text.ends_with('\n') {
        text.pop();
        if text.ends_with('\r') {
            text.pop();
        }
    }
    if text.is_empty() {
        return Err(format!(
            "{what}: password_command `{shown}` printed nothing"
        ));
    }
    if text.contains(['\n', '\r', '\0']) {
        return Err(format!(
            "{what}: password_command `{shown}` printed more than one line; print the password alone"
        ));
    }
    Ok(text)
}

/// The file as a whole.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileToml {
    default: Option<String>,
    #[serde(default)]
    account: BTreeMap<String, Account>,
}

impl FileToml {
    /// `default = "NAME"`, else an account named `default`.
    fn default_name(&self) -> Option<String> {
        self.default.clone().or_else(|| {
            self.account
                .contains_key("default")
                .then(|| "default".to_owned())
        })
    }
}

#[cfg(test)]
mod tests;
