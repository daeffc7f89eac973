//! `wary send --subject/--body/--body-file/--html/--attach`: the quick case, a message built
//! from flags (wary_smtp::compose, over mail-builder) instead of read from stdin. From: is
//! --from (or the account's `from`), To: the recipients.

use super::{config_error, Failure, SendOpts, EX_DATAERR};
use std::io::Read;
use std::path::Path;
use wary_smtp::compose::{Attachment, Compose};
use wary_smtp::proto::Mailbox;

/// The message built from the flags, or `None` when none of them was given.
pub(super) fn build(args: &SendOpts) -> Result<Option<Vec<u8>>, Failure> {
    let wanted = args.subject.is_some()
        || args.body.is_some()
        || args.body_file.is_some()
        || args.html.is_some()
        || !args.attach.is_empty();
    if !wanted {
        return Ok(None);
    }
    if args.take_recipients || args.mbox {
        return Err(config_error(
            "-t and --mbox read messages from stdin; --subject, --body, --body-file, --html and --attach build one: use one way",
        ));
    }
    let data_err = |m: String| Failure(EX_DATAERR, m);
    let from = args.from.as_deref().ok_or_else(|| {
        config_error("building a message (--subject, --body, --attach...) needs --from (or an account's from)")
    })?;
    let from = Mailbox::parse(from).map_err(|e| data_err(format!("--from: {e}")))?;
    let mut c = Compose::new(from);
    for r in &args.recipients {
        c = c.to(Mailbox::parse(r).map_err(|e| data_err(format!("recipient: {e}")))?);
    }
    if let Some(s) = &args.subject {
        c = c
            .subject(s.as_str())
            .map_err(|e| data_err(format!("--subject: {e}")))?;
    }
    let body = match (&args.body, &args.body_file) {
        (Some(b), _) => Some(b.clone()),
        (None, Some(f)) => Some(text_file("--body-file", f)?),
        (None, None) => None,
    };
    if let Some(b) = body {
        c = c.text(b);
    }
    if let Some(h) = &args.html {
        c = c.html(text_file("--html", h)?);
    }
    for path in &args.attach {
        let data = std::fs::read(path)
            .map_err(|e| data_err(format!("--attach {}: {e}", path.display())))?;
        let name = path.file_name().and_then(|n| n.to_str()).ok_or_else(|| {
            data_err(format!(
                "--attach {}: the file name is not UTF-8; rename the file",
                path.display()
            ))
        })?;
        let a = Attachment::new(name, data)
            .map_err(|e| data_err(format!("--attach {}: {e}", path.display())))?;
        c = c.attach(a);
    }
    Ok(Some(c.to_bytes()))
}

/// A UTF-8 text file (`-`: stdin).
fn text_file(flag: &str, path: &Path) -> Result<String, Failure> {
    let mut bytes = Vec::new();
    let read = if path == Path::new("-") {
        std::io::stdin().read_to_end(&mut bytes).map(|_| ())
    } else {
        std::fs::read(path).map(|b| bytes = b)
    };
    read.map_err(|e| Failure(EX_DATAERR, format!("{flag} {}: {e}", path.display())))?;
    String::from_utf8(bytes).map_err(|_| {
        Failure(
            EX_DATAERR,
            format!(
                "{flag} {}: not UTF-8 text (attach it with --attach instead)",
                path.display()
            ),
        )
    })
}
