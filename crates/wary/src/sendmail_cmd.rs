//! `wary sendmail` (also: the binary invoked as `sendmail`): the sendmail command line that
//! git send-email, mutt, cron and mail(1) speak, translated into `wary send` flags, so that
//! every check and exit code is `wary send`'s.
//!
//! Flags, from sendmail(8) and what callers pass:
//! - git send-email: `-i [-f FROM] RECIPIENT...` (git-send-email.perl, `@sendmail_parameters`)
//! - mutt / neomutt: `-oem -oi [-B8BITMIME] [-f FROM] [-N NOTIFY] [-R RET] -- RECIPIENT...`
//! - cron: Debian `-FCronDaemon -i -B8BITMIME -oem RECIPIENT`, cronie `-FCronDaemon -i -odi -oem -oi -t`
//! - mail(1) (bsd-mailx, s-nail, mailutils): `-i [-v] [-m] [-r FROM] [-t] [--] RECIPIENT...`
//!
//! | flag | what wary does |
//! | --- | --- |
//! | `-t` | recipients from To/Cc/Bcc (Bcc removed), plus any given (as Postfix and msmtp) |
//! | `-f ADDR`, `-fADDR`, `-r ADDR` | envelope sender (`<>` for the null sender) |
//! | `-F NAME`, `-FNAME` | display name of the From: header added when the message has none |
//! | `-i`, `-oi` | a line holding a lone `.` does not end the message (without them it does) |
//! | `-N`, `-R`, `-V` | DSN NOTIFY, RET, ENVID (RFC 3461) |
//! | `-v` | the delivery report on stderr |
//! | `-a NAME`, `--account NAME`, `-C FILE`, `--config FILE` | the account and config file |
//! | ignored: `-oem -oee -oep -oeq -oew -em -ee -ep -eq -ew` | errors are always reported on stderr and in the exit code |
//! | ignored: `-odi -odb -odf -om -m -bm -B BODY -U -G -n -L TAG -h N -oo` | wary always delivers at once, synchronously, 8-bit clean (BODY=8BITMIME when needed) |
//! | refused (exit 64): other `-b` modes, `-odq -odd -q -O -o...  -X -M -D -d -A` and anything else | wary cannot queue, run as a daemon or log transactions |
//!
//! The server is the account's (`-a`, else the config file's default account): sendmail
//! mode has no `--server`. When the message has no From: header, one is added:
//! `From: NAME <SENDER>` with -F, else `From: <SENDER>`, SENDER being -f or the account's
//! `from` (as sendmail adds one, and msmtp's `add_missing_from_header`). With a From:
//! header, -F changes nothing (sendmail too only uses it for a From: it writes). A message
//! without a Date: or Message-ID: field gets one (the current time; a random id at the
//! sender's domain), as sendmail does and msmtp's `set_date_header auto` and
//! `set_msgid_header auto` (its defaults); a message that has them is sent byte for byte.

use crate::send_cmd::{self, SendArgs};
use crate::term::say;
use std::ffi::OsString;
use std::io::Read;
use std::process::ExitCode;
use wary_smtp::proto::{Mailbox, Message};
use wary_smtp::{compose, headers};

/// sysexits.h EX_USAGE: the command line is wrong.
pub const EX_USAGE: u8 = 64;

/// Help for `wary sendmail --help`.
const HELP: &str = "\
wary sendmail: a sendmail-compatible front end to `wary send`, for git send-email, mutt,
cron and mail(1). The message is read from stdin; the server is the config file's account.

usage: wary sendmail [-t] [-i|-oi] [-f ADDR] [-F NAME] [-v] [-N DSN] [-R full|hdrs]
                     [-V ENVID] [-a ACCOUNT] [-C|--config FILE] [--] [RECIPIENT...]

Ignored (harmless): -oem -oee -oep -oeq -oew -odi -odb -odf -om -m -bm -B BODY -U -G -n
-L TAG -h N. Anything else is refused with exit 64 (EX_USAGE). Exit codes otherwise are
wary send's (sysexits.h). A link to the wary binary named `sendmail` behaves the same.
See `wary send --help` for the config file.";

/// What the sendmail flags say, before translation.
#[derive(Debug, Default, PartialEq, Eq)]
struct Parsed {
    send_flags: Vec<OsString>,
    recipients: Vec<OsString>,
    from_name: Option<String>,
    sender: Option<String>,
    ignore_dots: bool,
    config: Option<OsString>,
    account: Option<String>,
    help: bool,
}

/// Runs sendmail mode with `args` (without the program name or the `sendmail` subcommand).
pub fn run(args: Vec<OsString>) -> ExitCode {
    let parsed = match parse(&args) {
        Ok(p) => p,
        Err(msg) => {
            say!("wary sendmail: {msg} (see wary sendmail --help)");
            return ExitCode::from(EX_USAGE);
        }
    };
    if parsed.help {
        say!("{HELP}");
        return ExitCode::SUCCESS;
    }
    let mut argv = parsed.send_flags.clone();
    if let Some(c) = &parsed.config {
        argv.extend([OsString::from("--config"), c.clone()]);
    }
    if let Some(a) = &parsed.account {
        argv.extend([OsString::from("--account"), a.into()]);
    }
    if let Some(s) = &parsed.sender {
        argv.extend([OsString::from("--from"), s.into()]);
    }
    argv.push("--".into());
    argv.extend(parsed.recipients.iter().cloned());
    let send = match <AsSend as clap::Parser>::try_parse_from(&argv) {
        Ok(s) => s.send,
        Err(e) => {
            say!("wary sendmail: {}", e.to_string().trim_end());
            return ExitCode::from(EX_USAGE);
        }
    };
    let mut input = Vec::new();
    if let Err(e) = std::io::stdin().read_to_end(&mut input) {
        say!("wary sendmail: cannot read the message from stdin: {e}");
        return ExitCode::from(send_cmd::EX_DATAERR);
    }
    if !parsed.ignore_dots {
        input = cut_at_dot(input);
    }
    match add_missing_headers(&parsed, input) {
        Ok(input) => send_cmd::run_with_input(send, Some(input)),
        Err((code, msg)) => {
            say!("wary sendmail: {msg}");
            ExitCode::from(code)
        }
    }
}

/// `wary send`'s flags, parsed by clap from the translated command line.
#[derive(clap::Parser)]
#[command(no_binary_name = true)]
struct AsSend {
    #[command(flatten)]
    send: SendArgs,
}

/// Parses sendmail's command line. Single-letter flags may be grouped (`-ti`); a flag's value
/// may be attached (`-fme@x`) or the next argument (`-f me@x`), as with getopt.
fn parse(args: &[OsString]) -> Result<Parsed, String> {
    let mut p = Parsed::default();
    let mut i = 0;
    let value = |i: &mut usize, attached: &str, flag: char| -> Result<String, String> {
        if !attached.is_empty() {
            return Ok(attached.to_owned());
        }
        *i += 1;
        args.get(*i)
            .map(|v| v.to_string_lossy().into_owned())
            .ok_or_else(|| format!("-{flag} needs a value"))
    };
    while i < args.len() {
        let Some(arg) = args[i].to_str() else {
            // A recipient that is not UTF-8 is refused later with a clear message.
            p.recipients.push(args[i].clone());
            i += 1;
            continue;
        };
        if arg == "--" {
            p.recipients.extend(args[i + 1..].iter().cloned());
            break;
        }
        if let Some(long) = arg.strip_prefix("--") {
            let (name, attached) = long.split_once('=').unwrap_or((long, ""));
            match name {
                "help" => p.help = true,
                "account" => p.account = Some(value(&mut i, attached, 'a')?),
                "config" => p.config = Some(value(&mut i, attached, 'C')?.into()),
                _ => return Err(format!("unknown option --{name}")),
            }
            i += 1;
            continue;
        }
        let Some(flags) = arg.strip_prefix('-').filter(|f| !f.is_empty()) else {
            p.recipients.push(arg.into());
            i += 1;
            continue;
        };
        for (at, c) in flags.char_indices() {
            let rest = &flags[at + c.len_utf8()..];
            match c {
                't' => p.send_flags.push("-t".into()),
                'i' => p.ignore_dots = true,
                'v' => p.send_flags.push("--verbose".into()),
                // me too, no aliasing, initial submission, gateway: nothing to change here.
                'm' | 'n' | 'U' | 'G' => {}
                'f' | 'r' => {
                    p.sender = Some(value(&mut i, rest, c)?);
                    break;
                }
                'F' => {
                    p.from_name = Some(value(&mut i, rest, c)?);
                    break;
                }
                'N' => {
                    let v = value(&mut i, rest, c)?;
                    p.send_flags.extend(["--notify".into(), v.into()]);
                    break;
                }
                'R' => {
                    let v = value(&mut i, rest, c)?;
                    p.send_flags.extend(["--ret".into(), v.into()]);
                    break;
                }
                'V' => {
                    let v = value(&mut i, rest, c)?;
                    p.send_flags.extend(["--envid".into(), v.into()]);
                    break;
                }
                'a' => {
                    p.account = Some(value(&mut i, rest, c)?);
                    break;
                }
                'C' => {
                    p.config = Some(value(&mut i, rest, c)?.into());
                    break;
                }
                // Body type (7BIT, 8BITMIME): wary sends BODY=8BITMIME when the message
                // needs it. Syslog tag, hop count: nothing to log, nothing to count.
                'B' | 'L' | 'h' => {
                    value(&mut i, rest, c)?;
                    break;
                }
                'o' => {
                    option(rest, &mut p)?;
                    break;
                }
                'e' => {
                    error_mode(rest)?;
                    break;
                }
                'b' => {
                    if rest != "m" {
                        return Err(format!(
                            "-b{rest}: only -bm (deliver a message) is supported; wary has no queue, daemon or alias database"
                        ));
                    }
                    break;
                }
                _ => {
                    return Err(format!(
                        "-{c}: not supported (wary delivers one message at once, synchronously, and has no queue)"
                    ))
                }
            }
        }
        i += 1;
    }
    Ok(p)
}

/// `-oX`: the sendmail options callers pass.
fn option(rest: &str, p: &mut Parsed) -> Result<(), String> {
    match rest {
        "i" => p.ignore_dots = true,
        // me too; old-style headers; deliver interactively, in the background, foreground.
        "m" | "o" | "di" | "db" | "df" => {}
        _ if rest.starts_with('e') => error_mode(&rest[1..])?,
        "dq" | "dd" => {
            return Err(format!(
                "-o{rest}: wary cannot queue a message; it delivers at once (drop the flag)"
            ))
        }
        _ => return Err(format!("-o{rest}: not supported")),
    }
    Ok(())
}

/// `-oeX` / `-eX`: how errors are reported. wary always reports on stderr and in its exit
/// code, which every caller reads, so each mode is accepted and changes nothing.
fn error_mode(mode: &str) -> Result<(), String> {
    match mode {
        "m" | "e" | "p" | "q" | "w" => Ok(()),
        _ => Err(format!("-oe{mode}: unknown error mode (m, e, p, q or w)")),
    }
}

/// Without -i: a line holding only `.` ends the message (sendmail(8)); it and what follows
/// are dropped.
fn cut_at_dot(mut input: Vec<u8>) -> Vec<u8> {
    let mut start = 0;
    while start < input.len() {
        let end = input[start..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(input.len(), |n| start + n + 1);
        let line = &input[start..end];
        if line == b".\n" || line == b".\r\n" || line == b"." {
            input.truncate(start);
            break;
        }
        start = end;
    }
    input
}

/// Why sendmail mode stops before sending: the exit code (sysexits.h) and what to say.
type Failure = (u8, String);

/// Adds what sendmail and msmtp add to a message that lacks it: a From field (`From: [NAME]
/// <SENDER>`), a Date field (RFC 5322 §3.6 requires both) and a Message-ID (§3.6.4, so that
/// replies thread), each only when the header section has none. A message whose header
/// section cannot be read is passed on unchanged: wary send says what is wrong with it.
fn add_missing_headers(p: &Parsed, input: Vec<u8>) -> Result<Vec<u8>, Failure> {
    let Ok(message) = Message::new(&input) else {
        return Ok(input);
    };
    let (Ok(from), Ok(has_date), Ok(has_id)) = (
        headers::sender(&message),
        headers::has_field(&message, "Date"),
        headers::has_field(&message, "Message-ID"),
    ) else {
        return Ok(input);
    };
    let mut fields = Vec::new();
    let id_domain = match from {
        Some(mailbox) => Some(mailbox),
        None => {
            let added = from_field(p)?;
            if let Some((field, mailbox)) = added {
                fields.extend(field);
                Some(mailbox)
            } else {
                None
            }
        }
    };
    if !has_date {
        fields.extend(compose::date_field());
    }
    if let (false, Some(mailbox)) = (has_id, &id_domain) {
        fields.extend(compose::message_id_field(mailbox));
    }
    if fields.is_empty() {
        return Ok(input);
    }
    fields.extend(input);
    Ok(fields)
}

/// The From field for a message that has none, and its mailbox: `From: NAME <SENDER>` with
/// -F, else `From: <SENDER>`, SENDER being -f or the account's `from`. `None` when there is
/// no sender to name (wary send then says "no sender").
fn from_field(p: &Parsed) -> Result<Option<(Vec<u8>, Mailbox)>, Failure> {
    let sender = match &p.sender {
        Some(s) => Some(s.clone()),
        None => crate::config::select(
            p.config.as_deref().map(std::path::Path::new),
            p.account.as_deref(),
        )
        .map_err(|e| (send_cmd::EX_CONFIG, e.to_string()))?
        .and_then(|a| a.from),
    };
    let Some(sender) = sender.filter(|s| !s.is_empty() && s != "<>") else {
        return Ok(None);
    };
    let mailbox = Mailbox::parse(&sender)
        .map_err(|e| (send_cmd::EX_DATAERR, format!("-f {sender:?}: {e}")))?;
    let field = compose::from_field(p.from_name.as_deref(), &mailbox)
        .map_err(|e| (EX_USAGE, format!("-F: {e}")))?;
    Ok(Some((field, mailbox)))
}

#[cfg(test)]
mod tests;
