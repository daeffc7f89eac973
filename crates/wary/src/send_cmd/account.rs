//! `-a/--account` and `--config`: fills the flags the command line left unset from an
//! account of the config file (crate::config). A flag given on the command line always wins.
//!
//! Which account: `-a NAME`, else the file's default account, but only when `--server` is
//! not given. `wary send --server other.example` without `-a` uses no account at all, so a
//! default account's password is never sent to a server the account does not name.

use super::{config_error, Failure, SendOpts, TlsArg};
use crate::config::{self, Tls};

/// The flags with the account's values filled in.
pub(super) fn apply(args: &SendOpts) -> Result<SendOpts, Failure> {
    let mut out = args.clone();
    if args.server.is_some() && args.account.is_none() {
        return Ok(out);
    }
    let account = config::select(args.config.as_deref(), args.account.as_deref())
        .map_err(|e| config_error(e.to_string()))?;
    let Some(a) = account else {
        return Ok(out);
    };
    let tls = args.tls.or(a.tls.map(|t| match t {
        Tls::Starttls => TlsArg::Starttls,
        Tls::Implicit => TlsArg::Implicit,
        Tls::None => TlsArg::None,
    }));
    out.tls = tls;
    if out.server.is_none() {
        out.server = Some(match a.port {
            // An IPv6 literal needs brackets before a port (split_server's syntax).
            Some(p) if a.host.contains(':') => format!("[{}]:{p}", a.host),
            Some(p) => format!("{}:{p}", a.host),
            None if a.host.contains(':') => format!("[{}]", a.host),
            None => a.host.clone(),
        });
    }
    out.ca_file = out.ca_file.or(a.ca_file.clone());
    out.tls_server_name = out.tls_server_name.or(a.tls_server_name.clone());
    out.from = out.from.or(a.from.clone());
    out.timeout = out.timeout.or(a.timeout);
    out.helo = out.helo.or(a.helo.clone());
    out.auth_mechanism = out.auth_mechanism.or(a.auth_mechanism.clone());
    if out.user.is_none() {
        out.user = a.user.clone();
    }
    // A --password-file on the command line replaces the account's password source.
    if out.password_file.is_none() {
        out.secret = a.secret();
    }
    out.secret_owner = format!("account {:?}", a.name);
    Ok(out)
}
