//! What to change, in one line, for each finding of the smtp-server probe that is not a
//! pass: the setting to turn, with its name in the two MTAs most often met (Postfix, Exim),
//! as testssl.sh and internet.nl give one. Kept apart so the checks read as checks.

use super::wire::Transport;

/// No STARTTLS in the EHLO reply.
pub(super) const NO_STARTTLS: &str = "offer STARTTLS with a certificate (Postfix: \
     smtpd_tls_security_level = may and smtpd_tls_chain_files; Exim: tls_advertise_hosts = * \
     and tls_certificate/tls_privatekey)";

/// AUTH offered before TLS.
pub(super) const AUTH_BEFORE_TLS: &str = "offer AUTH only inside TLS (Postfix: \
     smtpd_tls_auth_only = yes; Exim: server_advertise_condition = ${if def:tls_in_cipher} on \
     each authenticator)";

/// A command pipelined behind STARTTLS was answered inside TLS.
pub(super) const PIPELINING_INJECTION: &str = "upgrade the MTA to a release that discards \
     input buffered before the TLS handshake (the CVE-2011-0411 fix: Postfix 2.8.0 / 2.7.3 and \
     later, Exim 4.x current); until then, do not offer STARTTLS on an exposed port";

/// A command pipelined behind STARTTLS was answered in plain text.
pub(super) const PIPELINING_ANSWERED: &str = "reject or discard commands pipelined behind \
     STARTTLS instead of answering them (RFC 3207 §4.2 forbids relying on anything said before \
     the handshake); update the MTA";

/// The STARTTLS check could not run.
pub(super) const STARTTLS_ERROR: &str = "check STARTTLS by hand (openssl s_client -starttls \
     smtp -connect HOST:PORT) and re-run with a longer --timeout";

/// Neither TLS 1.3 nor 1.2.
pub(super) const NO_MODERN_TLS: &str = "enable TLS 1.2 and 1.3 (Postfix: smtpd_tls_protocols = \
     >=TLSv1.2 with OpenSSL 1.1.1 or later; Exim: built with a current OpenSSL or GnuTLS)";

/// TLS 1.0 or 1.1 still accepted.
/// (The GnuTLS line was checked against Debian's Exim 4.96 in scripts/interop-exim's setup:
/// with it the probe finds "modern only".)
pub(super) const LEGACY_TLS: &str = "turn off TLS 1.0 and 1.1, deprecated by RFC 8996 \
     (Postfix: smtpd_tls_protocols = >=TLSv1.2; Exim with GnuTLS: tls_require_ciphers = \
     NORMAL:-VERS-TLS1.0:-VERS-TLS1.1; Exim with OpenSSL: openssl_options = +no_tlsv1 \
     +no_tlsv1_1)";

/// The handshake itself failed, so no certificate was seen.
pub(super) fn tls_error(transport: Transport) -> String {
    match transport {
        Transport::StartTls => "check the TLS setup by hand (openssl s_client -starttls smtp \
             -connect HOST:PORT): the server must finish a handshake after its 220 to STARTTLS"
            .to_owned(),
        Transport::Implicit => "check the TLS setup by hand (openssl s_client -connect \
             HOST:PORT): an implicit-TLS port must finish a handshake before its greeting"
            .to_owned(),
    }
}

/// A certificate a verifying client refuses, or one that expires soon; `why` is the
/// finding's summary, which holds the verifier's reason.
pub(super) fn certificate(why: &str, name: &str) -> String {
    let lower = why.to_ascii_lowercase();
    if lower.contains("expires in") {
        "renew the certificate now and automate renewal (ACME, e.g. certbot or lego), then \
         reload the MTA"
            .to_owned()
    } else if lower.contains("expired") || lower.contains("notvalidyet") {
        "install a certificate that is valid today (renew it; check the server's clock), then \
         reload the MTA"
            .to_owned()
    } else if lower.contains("not valid for name") || lower.contains("notvalidforname") {
        format!(
            "install a certificate whose subjectAltName includes {name:?} (or probe the name \
             the certificate is for with --tls-server-name)"
        )
    } else if lower.contains("unknownissuer") || lower.contains("unknown issuer") {
        "serve the full chain (certificate plus intermediates, Postfix smtpd_tls_chain_files, \
         Exim tls_certificate) from a CA clients trust; with a private CA, give it with --ca-file"
            .to_owned()
    } else {
        format!(
            "install a certificate for {name:?} from a CA clients trust, valid today, with its \
             full chain"
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_certificate_failure_gets_its_own_fix() {
        let f = |why| certificate(why, "mx.example");
        assert!(f("verifies, but expires in 3 day(s)").contains("automate renewal"));
        assert!(f("refuses it: invalid peer certificate: Expired").contains("valid today"));
        assert!(f("refuses it: NotValidForName").contains("\"mx.example\""));
        assert!(f("refuses it: UnknownIssuer").contains("full chain"));
        assert!(f("refuses it: BadSignature").contains("mx.example"));
    }
}
