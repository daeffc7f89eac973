//! SASL client mechanisms for SMTP AUTH (RFC 4954): PLAIN (RFC 4616), LOGIN
//! (draft-murchison-sasl-login), XOAUTH2 (Google's bearer-token profile) and SCRAM-SHA-256
//! (RFC 5802, RFC 7677), which also authenticates the server. Pure computation: the session
//! feeds challenges in and sends the responses; the nonce comes from the caller's entropy.

use super::mechanism::Mechanism;
use super::types::AuthValue;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use std::fmt;

/// Fewest PBKDF2 iterations accepted from a SCRAM server (RFC 7677 §4: at least 4096).
pub const SCRAM_MIN_ITERATIONS: u32 = 4096;
/// Most PBKDF2 iterations accepted, so a server cannot make the client burn CPU for minutes.
pub const SCRAM_MAX_ITERATIONS: u32 = 1_000_000;

/// What to log in with.
#[derive(Clone)]
pub enum Credentials {
    /// A user name and password (PLAIN, LOGIN, SCRAM-SHA-256).
    Password {
        /// The user name.
        user: String,
        /// The password.
        password: String,
    },
    /// A user name and OAuth 2.0 bearer token (XOAUTH2).
    OAuth2 {
        /// The user name.
        user: String,
        /// The access token.
        token: String,
    },
}

impl fmt::Debug for Credentials {
    // Never print secrets.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Credentials::Password { user, .. } => write!(f, "Password {{ user: {user:?}, .. }}"),
            Credentials::OAuth2 { user, .. } => write!(f, "OAuth2 {{ user: {user:?}, .. }}"),
        }
    }
}

/// Why authentication failed inside the SASL exchange.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SaslError {
    /// The server offered none of the mechanisms these credentials can use.
    NoMechanism {
        /// What the server offered.
        offered: Vec<Mechanism>,
    },
    /// The server's challenge is not valid base64 or not valid for the mechanism.
    BadChallenge(&'static str),
    /// SCRAM: the server did not prove it knows the password (RFC 5802 §5.1 `v=`), or said
    /// `e=` — it may be an impostor.
    ServerNotVerified(String),
    /// The user name or password cannot be prepared (RFC 4013 SASLprep).
    BadCredentials(&'static str),
}

impl fmt::Display for SaslError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SaslError::NoMechanism { offered } => write!(
                f,
                "the server offers no AUTH mechanism wary can use with these credentials (offered: {})",
                if offered.is_empty() {
                    "none".to_owned()
                } else {
                    offered.iter().map(Mechanism::as_str).collect::<Vec<_>>().join(" ")
                }
            ),
            SaslError::BadChallenge(why) => write!(f, "the server sent a bad SASL challenge: {why}"),
            SaslError::ServerNotVerified(why) => {
                write!(f, "the server failed SCRAM server authentication: {why} (RFC 5802 §5.1)")
            }
            SaslError::BadCredentials(why) => write!(f, "the credentials cannot be used: {why}"),
        }
    }
}

impl std::error::Error for SaslError {}

/// Picks a mechanism: the caller's choice if offered, else the strongest offered one that
/// the credentials fit (SCRAM-SHA-256, then PLAIN, then LOGIN; XOAUTH2 for tokens).
pub fn choose(
    creds: &Credentials,
    wanted: Option<&Mechanism>,
    offered: &[Mechanism],
) -> Result<Mechanism, SaslError> {
    let fits: &[Mechanism] = match creds {
        Credentials::Password { .. } => {
            &[Mechanism::ScramSha256, Mechanism::Plain, Mechanism::Login]
        }
        Credentials::OAuth2 { .. } => &[Mechanism::XOAuth2],
    };
    let pick = fits
        .iter()
        .filter(|m| wanted.map_or(true, |w| w == *m))
        .find(|m| offered.contains(m));
    match pick {
        Some(m) => Ok(m.clone()),
        None => Err(SaslError::NoMechanism {
            offered: offered.to_vec(),
        }),
    }
}

/// One running SASL exchange.
pub struct SaslClient {
    state: State,
}

enum State {
    /// Sent the whole initial response; only 235 (or a failure) may follow.
    Done,
    /// LOGIN: waiting for the user-name prompt, then the password prompt.
    Login {
        user: String,
        password: String,
        step: u8,
    },
    /// XOAUTH2: a 334 carries an error report; answer with an empty line (then 535 follows).
    XOAuth2,
    /// SCRAM: waiting for server-first.
    ScramFirst {
        password: String,
        nonce: String,
        client_first_bare: String,
    },
    /// SCRAM: waiting for server-final.
    ScramFinal { server_signature: Vec<u8> },
    /// SCRAM: server verified, acknowledged with an empty response.
    ScramVerified,
}

impl SaslClient {
    /// Starts `mech`: returns the client and the initial response for the AUTH line.
    /// `nonce` (printable, no `,`) is used by SCRAM only.
    pub fn start(
        mech: &Mechanism,
        creds: &Credentials,
        nonce: &str,
    ) -> Result<(SaslClient, Option<AuthValue>), SaslError> {
        let (state, initial) = match (mech, creds) {
            (Mechanism::Plain, Credentials::Password { user, password }) => {
                // RFC 4616 §2: [authzid] NUL authcid NUL passwd
                let msg = [b"\0", user.as_bytes(), b"\0", password.as_bytes()].concat();
                (State::Done, Some(AuthValue::encode(&msg)))
            }
            (Mechanism::Login, Credentials::Password { user, password }) => (
                State::Login {
                    user: user.clone(),
                    password: password.clone(),
                    step: 0,
                },
                None,
            ),
            (Mechanism::XOAuth2, Credentials::OAuth2 { user, token }) => {
                let msg = format!("user={user}\x01auth=Bearer {token}\x01\x01");
                (State::XOAuth2, Some(AuthValue::encode(msg.as_bytes())))
            }
            (Mechanism::ScramSha256, Credentials::Password { user, password }) => {
                let user = saslprep(user)?.replace('=', "=3D").replace(',', "=2C");
                let client_first_bare = format!("n={user},r={nonce}");
                let msg = format!("n,,{client_first_bare}");
                let state = State::ScramFirst {
                    password: saslprep(password)?,
                    nonce: nonce.to_owned(),
                    client_first_bare,
                };
                (state, Some(AuthValue::encode(msg.as_bytes())))
            }
            _ => {
                return Err(SaslError::NoMechanism {
                    offered: vec![mech.clone()],
                })
            }
        };
        Ok((SaslClient { state }, initial))
    }

    /// Answers a 334 challenge (its text, still base64).
    pub fn step(&mut self, challenge_b64: &str) -> Result<AuthValue, SaslError> {
        use base64::Engine as _;
        let challenge = base64::engine::general_purpose::STANDARD
            .decode(challenge_b64.trim())
            .map_err(|_| SaslError::BadChallenge("not base64 (RFC 4954 §4)"))?;
        match std::mem::replace(&mut self.state, State::Done) {
            State::Login {
                user,
                password,
                step,
            } => {
                // The prompts' text is not standardised; the order is.
                let answer = if step == 0 {
                    user.clone()
                } else {
                    password.clone()
                };
                if step == 0 {
                    self.state = State::Login {
                        user,
                        password,
                        step: 1,
                    };
                }
                Ok(AuthValue::encode(answer.as_bytes()))
            }
            // The 334 after XOAUTH2 carries a JSON error; the empty reply makes the server
            // send its final 5xx.
            State::XOAuth2 => Ok(AuthValue::encode(b"")),
            State::ScramFirst {
                password,
                nonce,
                client_first_bare,
            } => {
                let (reply, server_signature) =
                    scram_final(&challenge, &password, &nonce, &client_first_bare)?;
                self.state = State::ScramFinal { server_signature };
                Ok(AuthValue::encode(reply.as_bytes()))
            }
            State::ScramFinal { server_signature } => {
                verify_server_final(&challenge, &server_signature)?;
                self.state = State::ScramVerified;
                Ok(AuthValue::encode(b""))
            }
            State::Done | State::ScramVerified => Err(SaslError::BadChallenge(
                "a challenge after the exchange was complete",
            )),
        }
    }

    /// Called on 235: checks the exchange is complete, so a SCRAM server that skipped its
    /// proof is not trusted.
    pub fn finish(&self) -> Result<(), SaslError> {
        match &self.state {
            State::ScramFirst { .. } | State::ScramFinal { .. } => {
                Err(SaslError::ServerNotVerified(
                    "it accepted the login without sending its signature".to_owned(),
                ))
            }
            State::Login { step: 0, .. } => Err(SaslError::BadChallenge(
                "235 before the user name was asked for",
            )),
            _ => Ok(()),
        }
    }
}

fn saslprep(s: &str) -> Result<String, SaslError> {
    stringprep::saslprep(s)
        .map(|c| c.into_owned())
        .map_err(|_| SaslError::BadCredentials("not valid under SASLprep (RFC 4013)"))
}

type HmacSha256 = Hmac<Sha256>;

fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    // NOTE: HMAC accepts keys of any length, so new_from_slice cannot fail.
    let mut mac = match HmacSha256::new_from_slice(key) {
        Ok(m) => m,
        Err(_) => return Vec::new(),
    };
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

/// RFC 5802 §3 and §5.1: checks server-first and computes client-final and the expected
/// server signature.
fn scram_final(
    server_first: &[u8],
    password: &str,
    nonce: &str,
    client_first_bare: &str,
) -> Result<(String, Vec<u8>), SaslError> {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD;
    let text = std::str::from_utf8(server_first)
        .map_err(|_| SaslError::BadChallenge("server-first is not UTF-8"))?;
    if text.starts_with("m=") {
        return Err(SaslError::BadChallenge(
            "server-first asks for an unknown mandatory extension",
        ));
    }
    let mut attrs = text.split(',');
    let server_nonce = attrs
        .next()
        .and_then(|a| a.strip_prefix("r="))
        .ok_or(SaslError::BadChallenge("server-first has no nonce"))?;
    let salt = attrs
        .next()
        .and_then(|a| a.strip_prefix("s="))
        .and_then(|s| b64.decode(s).ok())
        .ok_or(SaslError::BadChallenge("server-first has no valid salt"))?;
    let iterations: u32 = attrs
        .next()
        .and_then(|a| a.strip_prefix("i="))
        .and_then(|i| i.parse().ok())
        .ok_or(SaslError::BadChallenge(
            "server-first has no valid iteration count",
        ))?;
    if !server_nonce.starts_with(nonce) || server_nonce.len() <= nonce.len() {
        return Err(SaslError::ServerNotVerified(
            "its nonce does not extend ours".to_owned(),
        ));
    }
    if !(SCRAM_MIN_ITERATIONS..=SCRAM_MAX_ITERATIONS).contains(&iterations) {
        return Err(SaslError::BadChallenge(
            "iteration count outside 4096..=1000000",
        ));
    }
    let mut salted = [0u8; 32];
    pbkdf2::pbkdf2_hmac::<Sha256>(password.as_bytes(), &salt, iterations, &mut salted);
    let client_key = hmac(&salted, b"Client Key");
    let stored_key = Sha256::digest(&client_key);
    let without_proof = format!("c=biws,r={server_nonce}");
    let auth_message = format!("{client_first_bare},{text},{without_proof}");
    let client_signature = hmac(&stored_key, auth_message.as_bytes());
    let proof: Vec<u8> = client_key
        .iter()
        .zip(&client_signature)
        .map(|(a, b)| a ^ b)
        .collect();
    let server_key = hmac(&salted, b"Server Key");
    let server_signature = hmac(&server_key, auth_message.as_bytes());
    Ok((
        format!("{without_proof},p={}", b64.encode(proof)),
        server_signature,
    ))
}

fn verify_server_final(server_final: &[u8], expected: &[u8]) -> Result<(), SaslError> {
    use base64::Engine as _;
    let text = String::from_utf8_lossy(server_final);
    if let Some(err) = text.strip_prefix("e=") {
        return Err(SaslError::ServerNotVerified(format!("it reported {err:?}")));
    }
    let got = text
        .strip_prefix("v=")
        .and_then(|v| base64::engine::general_purpose::STANDARD.decode(v).ok())
        .ok_or(SaslError::BadChallenge("server-final has no valid v="))?;
    // Constant-time comparison is not needed: the signature is public once sent.
    if got != expected {
        return Err(SaslError::ServerNotVerified(
            "its signature does not match".to_owned(),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine as _;

    fn b64(s: &str) -> String {
        base64::engine::general_purpose::STANDARD.encode(s)
    }
    fn unb64(v: &AuthValue) -> String {
        String::from_utf8(
            base64::engine::general_purpose::STANDARD
                .decode(v.as_str())
                .unwrap(),
        )
        .unwrap()
    }
    fn pw() -> Credentials {
        Credentials::Password {
            user: "user".into(),
            password: "pencil".into(),
        }
    }

    #[test]
    fn scram_sha_256_rfc7677_vector() {
        let mech = Mechanism::ScramSha256;
        let (mut c, first) = SaslClient::start(&mech, &pw(), "rOprNGfwEbeRWgbNEkqO").unwrap();
        assert_eq!(unb64(&first.unwrap()), "n,,n=user,r=rOprNGfwEbeRWgbNEkqO");
        let server_first = "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";
        let fin = c.step(&b64(server_first)).unwrap();
        assert_eq!(
            unb64(&fin),
            "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="
        );
        assert!(c.finish().is_err(), "235 before v= must not be trusted");
        let ack = c
            .step(&b64("v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="))
            .unwrap();
        assert_eq!(ack.as_str(), "");
        assert!(c.finish().is_ok());
    }

    #[test]
    fn scram_rejects_forged_server() {
        let mech = Mechanism::ScramSha256;
        let (mut c, _) = SaslClient::start(&mech, &pw(), "abc").unwrap();
        assert!(matches!(
            c.step(&b64("r=xyz1,s=AAAA,i=4096")),
            Err(SaslError::ServerNotVerified(_))
        ));
        let (mut c, _) = SaslClient::start(&mech, &pw(), "abc").unwrap();
        assert!(matches!(
            c.step(&b64("r=abcd,s=AAAA,i=1")),
            Err(SaslError::BadChallenge(_))
        ));
        let (mut c, _) = SaslClient::start(&mech, &pw(), "abc").unwrap();
        c.step(&b64("r=abcd,s=AAAA,i=4096")).unwrap();
        assert!(matches!(
            c.step(&b64("v=AAAA")),
            Err(SaslError::ServerNotVerified(_))
        ));
    }

    #[test]
    fn plain_login_xoauth2() {
        let (c, v) = SaslClient::start(&Mechanism::Plain, &pw(), "").unwrap();
        assert_eq!(unb64(&v.unwrap()), "\0user\0pencil");
        assert!(c.finish().is_ok());
        let (mut c, v) = SaslClient::start(&Mechanism::Login, &pw(), "").unwrap();
        assert!(v.is_none());
        assert_eq!(unb64(&c.step("VXNlcm5hbWU6").unwrap()), "user");
        assert_eq!(unb64(&c.step("UGFzc3dvcmQ6").unwrap()), "pencil");
        let tok = Credentials::OAuth2 {
            user: "u@x".into(),
            token: "t0k".into(),
        };
        let (_, v) = SaslClient::start(&Mechanism::XOAuth2, &tok, "").unwrap();
        assert_eq!(unb64(&v.unwrap()), "user=u@x\x01auth=Bearer t0k\x01\x01");
    }

    #[test]
    fn choice() {
        let offered: Vec<Mechanism> = ["LOGIN", "PLAIN", "SCRAM-SHA-256"]
            .iter()
            .map(|m| Mechanism::parse(m).unwrap())
            .collect();
        assert_eq!(
            choose(&pw(), None, &offered).unwrap().as_str(),
            "SCRAM-SHA-256"
        );
        let login = Mechanism::Login;
        assert_eq!(
            choose(&pw(), Some(&login), &offered).unwrap().as_str(),
            "LOGIN"
        );
        assert!(choose(&pw(), None, &[]).is_err());
        let tok = Credentials::OAuth2 {
            user: "u".into(),
            token: "t".into(),
        };
        assert!(choose(&tok, None, &offered).is_err());
    }
}
