//! What the server mails and the links it puts in them: email verification and
//! workspace invitations. Mail goes out in the background (a slow or failing
//! SMTP server never delays or fails the request that caused it; failures are
//! logged); without `--smtp-url` nothing is sent.

use reynard_auth::SigningKey;
use reynard_mail::{Mail, templates};
use reynard_store::{Invitation, Store, User, now_millis};

use crate::state::AppState;

/// Name of the link signing key in `server_secrets`.
const SIGNING_KEY: &str = "link-signing-key";

/// The link signing key, created in the database on first start.
pub async fn signing_key(store: &Store) -> anyhow::Result<SigningKey> {
    let encoded = store.server_secret(SIGNING_KEY, SigningKey::generate_encoded).await?;
    SigningKey::from_encoded(&encoded).map_err(|e| anyhow::anyhow!("stored {SIGNING_KEY} is unusable: {e}"))
}

/// `{public_url}/verify-email/{token}`, valid for the configured time.
pub fn verification_link(state: &AppState, user: &User) -> String {
    let ttl = i64::try_from(state.config.email_verification_ttl.as_millis()).unwrap_or(i64::MAX);
    let token = state.signing_key.email_token(user.id.as_str(), &user.email, now_millis().saturating_add(ttl));
    format!("{}/verify-email/{token}", state.config.public_url)
}

/// The token of an invitation's link.
pub fn invitation_token(state: &AppState, invitation: &Invitation) -> String {
    state.signing_key.invitation_token(invitation.workspace_id.as_str(), &invitation.email, invitation.created_at)
}

/// `{public_url}/invite/{token}`.
pub fn invitation_link(state: &AppState, token: &str) -> String {
    format!("{}/invite/{token}", state.config.public_url)
}

/// Mails `user` a verification link, if mail is on. Returns whether a mail was queued.
pub fn send_verification(state: &AppState, user: &User) -> bool {
    let hours = state.config.email_verification_ttl.as_secs() / 3600;
    let mail = templates::verification(&user.email, &user.name, &verification_link(state, user), hours.max(1));
    send_in_background(state, mail)
}

/// Mails an invitation with its link, if mail is on.
pub fn send_invitation(state: &AppState, invitation: &Invitation, inviter: &str, workspace: &str, link: &str) {
    let mail = templates::invitation(&invitation.email, inviter, workspace, invitation.role.as_str(), link);
    send_in_background(state, mail);
}

fn send_in_background(state: &AppState, mail: Mail) -> bool {
    let Some(mailer) = state.config.mailer.clone() else {
        return false;
    };
    tokio::spawn(async move {
        if let Err(err) = mailer.send(&mail).await {
            tracing::warn!(%err, to = %mail.to, subject = %mail.subject, "mail not sent");
        }
    });
    true
}
