//! The sans-IO SMTP client core: replies, checked wire values, commands, capabilities, the
//! message's wire form, SASL, and the session state machine. Nothing here opens a socket,
//! reads a clock or touches TLS I/O: the driver passes bytes and the time in.

pub mod caps;
pub mod command;
pub mod config;
pub mod error;
pub mod mechanism;
pub mod message;
pub mod reply;
pub mod report;
pub mod sasl;
pub mod session;
pub mod timeouts;
pub mod transaction;
pub mod types;

pub use caps::Capabilities;
pub use command::Command;
pub use error::{Fault, SessionError, SubmitError};
pub use mechanism::{Mechanism, OtherMechanism};
pub use message::{Message, MessageError};
pub use reply::{parse_reply, EnhancedStatus, Reply, ReplyCode, ReplyError, ReplyLimits};
pub use report::{
    DeliveryReport, Envelope, Notify, Outcome, Recipient, RecipientResult, RecipientStatus, Ret,
    Status, TlsInfo, TlsVersion, TxnCommand,
};
pub use sasl::{Credentials, SaslError};
pub use session::{AuthConfig, Event, Session, SessionConfig, TlsMode, TlsUpgrade};
pub use timeouts::Timeouts;
pub use types::{AuthValue, Domain, Envid, EsmtpParam, InvalidValue, Mailbox, ReversePath};
