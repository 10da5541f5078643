//! [`Mailer`]: sends [`Mail`] through one SMTP server (see the crate docs for
//! the URL forms), from one sender address.

use std::time::Duration;

use lettre::message::Mailbox;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

use crate::message::parse_mailbox;
use crate::{Error, Mail, Result};

/// How long one SMTP exchange may take before it fails.
const SMTP_TIMEOUT: Duration = Duration::from_secs(20);

/// An SMTP client with its sender address. Cheap to clone (the transport keeps
/// a connection pool).
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    /// The URL without credentials, for logs.
    server: String,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer").field("server", &self.server).field("from", &self.from.to_string()).finish()
    }
}

impl Mailer {
    /// A mailer for `smtp://…` or `smtps://…` sending from `from`
    /// (`reynard@example.org` or `Reynard <reynard@example.org>`).
    pub fn new(smtp_url: &str, from: &str) -> Result<Mailer> {
        let server = redact(smtp_url)?;
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(smtp_url)
            .map_err(|e| Error::SmtpUrl(format!("{server}: {e}")))?
            .timeout(Some(SMTP_TIMEOUT))
            .build();
        Ok(Mailer { transport, from: parse_mailbox(from)?, server })
    }

    /// The SMTP server, without credentials.
    pub fn server(&self) -> &str {
        &self.server
    }

    /// Sends one mail; returns once the SMTP server accepted it.
    pub async fn send(&self, mail: &Mail) -> Result<()> {
        let message = mail.to_message(&self.from)?;
        self.transport.send(message).await?;
        tracing::debug!(to = %mail.to, subject = %mail.subject, "mail sent");
        Ok(())
    }
}

/// Checks the scheme and drops the user-info part of an SMTP URL.
fn redact(url: &str) -> Result<String> {
    let Some((scheme, rest)) = url.split_once("://") else {
        return Err(Error::SmtpUrl(format!("{url:?} has no scheme (expected smtp:// or smtps://)")));
    };
    if scheme != "smtp" && scheme != "smtps" {
        return Err(Error::SmtpUrl(format!("scheme {scheme:?} is not smtp or smtps")));
    }
    let host = match rest.rsplit_once('@') {
        Some((_, host)) => host,
        None => rest,
    };
    if host.is_empty() || host.starts_with(['/', '?', ':']) {
        return Err(Error::SmtpUrl(format!("{scheme}:// URL without a host")));
    }
    Ok(format!("{scheme}://{host}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepted_url_forms() {
        for url in [
            "smtp://127.0.0.1:2525",
            "smtp://mail.example.org:587?tls=required",
            "smtp://mail.example.org:587?tls=opportunistic",
            "smtps://user:secret@mail.example.org:465",
        ] {
            let mailer = Mailer::new(url, "Reynard <reynard@localhost>").unwrap_or_else(|e| panic!("{url}: {e}"));
            assert!(!mailer.server().contains("secret"), "{url}");
        }
        let mailer = Mailer::new("smtps://user:secret@mail.example.org:465", "r@localhost").unwrap();
        assert_eq!(mailer.server(), "smtps://mail.example.org:465");
        assert!(!format!("{mailer:?}").contains("secret"));
    }

    #[test]
    fn rejected_urls_and_senders() {
        for url in ["", "mail.example.org", "http://mail.example.org", "smtp://", "smtp://?tls=required"] {
            assert!(matches!(Mailer::new(url, "r@localhost"), Err(Error::SmtpUrl(_))), "{url}");
        }
        assert!(matches!(Mailer::new("smtp://127.0.0.1:25", "not an address"), Err(Error::Address { .. })));
    }

    #[tokio::test]
    async fn an_unreachable_server_is_an_error_not_a_panic() {
        // Port 1 on loopback refuses connections.
        let mailer = Mailer::new("smtp://127.0.0.1:1", "r@localhost").unwrap();
        let sent = mailer.send(&Mail::text("ada@example.org", "s", "t")).await;
        assert!(matches!(sent, Err(Error::Smtp(_))), "{sent:?}");
    }
}
