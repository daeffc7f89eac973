//! The XML declaration (XML 1.0 \[23\] XMLDecl) and the text declaration of external entities
//! (\[77\] TextDecl).

use crate::cursor::{Cur, PResult, Stop};

pub(crate) struct Decl<'a> {
    pub version: Option<&'a str>,
    pub encoding: Option<&'a str>,
    /// Where the encoding's value starts (its quote), from the `<` of `<?xml`.
    pub encoding_at: usize,
    pub standalone: Option<bool>,
}

pub(crate) struct OwnedDecl {
    pub version: Option<String>,
    pub encoding: Option<String>,
    pub encoding_at: usize,
    pub standalone: Option<bool>,
}

impl Decl<'_> {
    pub fn owned(&self) -> OwnedDecl {
        OwnedDecl {
            version: self.version.map(str::to_string),
            encoding: self.encoding.map(str::to_string),
            encoding_at: self.encoding_at,
            standalone: self.standalone,
        }
    }
}

/// What may stand where a declaration's pseudo-attribute name is expected.
const PSEUDO: &str = "'version', 'encoding' or 'standalone'";

/// Parses a declaration starting at `<?xml`. `text_decl` selects \[77\] TextDecl rules:
/// version optional, encoding required, no standalone.
pub(crate) fn parse<'a>(c: &mut Cur<'a>, text_decl: bool) -> PResult<Decl<'a>> {
    let start = c.i;
    c.expect("<?xml", "expected '<?xml'")?;
    let mut d = Decl {
        version: None,
        encoding: None,
        encoding_at: 0,
        standalone: None,
    };
    let mut seen = 0u8; // 1 version, 2 encoding, 3 standalone: each only after the last
    loop {
        let had_ws = c.ws();
        if c.looking_at("?>")? {
            c.i += 2;
            break;
        }
        if !had_ws {
            c.peek()?;
            return Err(c.syntax("expected white space between the declaration's parts"));
        }
        let at = c.i;
        // Only version, encoding and standalone may stand here (\[24\] VersionInfo, \[80\]
        // EncodingDecl, \[32\] SDDecl): a longer name is a syntax error, found without reading
        // it all. The 64 is not a `Limits` field, so it must not be reported as one (it was
        // reported as Limits::max_name_len, whose value it is not: found by fuzzing, reader).
        let name = match c.name(64, PSEUDO) {
            Err(Stop::Fail(e, _)) if e.limit().is_some() => {
                c.i = at;
                return Err(c.syntax(format!("expected {PSEUDO}, found a longer name")));
            }
            name => name?,
        };
        c.ws();
        c.expect("=", "expected '=' after the pseudo-attribute name")?;
        c.ws();
        let vat = c.i;
        let value = c.quoted("value")?;
        let order = match name {
            "version" => 1,
            "encoding" => 2,
            "standalone" => 3,
            _ => {
                c.i = at;
                return Err(c.syntax(format!(
                    "'{name}' is not allowed in the declaration: only version, encoding and standalone, in that order"
                )));
            }
        };
        if order <= seen {
            c.i = at;
            return Err(c.syntax(format!(
                "'{name}' is out of place: the declaration's parts are version, encoding, standalone, in that order, each once"
            )));
        }
        if order == 2 && seen == 0 && !text_decl {
            c.i = at;
            return Err(c.syntax("the XML declaration must start with version"));
        }
        seen = order;
        match order {
            1 => {
                if !is_version(value) {
                    c.i = vat;
                    return Err(c.syntax(format!(
                        "version '{value}' is not of the form 1.x (XML 1.0 [26] VersionNum)"
                    )));
                }
                d.version = Some(value);
            }
            2 => {
                if !is_enc_name(value) {
                    c.i = vat;
                    return Err(c.syntax(format!(
                        "'{value}' is not an encoding name (XML 1.0 [81] EncName)"
                    )));
                }
                d.encoding = Some(value);
                d.encoding_at = vat - start;
            }
            _ => {
                if text_decl {
                    c.i = at;
                    return Err(c.syntax(
                        "a text declaration cannot have standalone (XML 1.0 [77] TextDecl)",
                    ));
                }
                d.standalone = match value {
                    "yes" => Some(true),
                    "no" => Some(false),
                    _ => {
                        c.i = vat;
                        return Err(
                            c.syntax(format!("standalone must be 'yes' or 'no', not '{value}'"))
                        );
                    }
                };
            }
        }
    }
    if text_decl && d.encoding.is_none() {
        return Err(
            c.syntax("a text declaration must declare the encoding (XML 1.0 [77] TextDecl)")
        );
    }
    if !text_decl && d.version.is_none() {
        return Err(c.syntax("the XML declaration must declare the version (XML 1.0 [23] XMLDecl)"));
    }
    Ok(d)
}

/// XML 1.0 \[26\] VersionNum: `1.` followed by digits.
fn is_version(v: &str) -> bool {
    v.strip_prefix("1.")
        .is_some_and(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()))
}

/// XML 1.0 \[81\] EncName.
fn is_enc_name(v: &str) -> bool {
    let mut b = v.bytes();
    b.next().is_some_and(|c| c.is_ascii_alphabetic())
        && b.all(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'-'))
}
