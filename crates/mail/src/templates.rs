//! The mails Reynard writes: email verification and workspace invitations.
//! Plain text, with the link on a line of its own so any mail client makes it
//! clickable.

use crate::Mail;

/// "Confirm your email": sent at sign-up and on request.
pub fn verification(to: &str, name: &str, link: &str, valid_hours: u64) -> Mail {
    Mail::text(
        to,
        "Confirm your email address for Reynard",
        format!(
            "Hello {name},\n\n\
             please confirm that {to} is your email address by opening this link:\n\n\
             {link}\n\n\
             The link is valid for {valid_hours} hours. Until you confirm, invitations \
             sent to this address wait for you.\n\n\
             If you did not sign up for Reynard, ignore this mail.\n"
        ),
    )
}

/// "You are invited to a workspace": sent when an owner adds an email.
pub fn invitation(to: &str, inviter: &str, workspace: &str, role: &str, link: &str) -> Mail {
    Mail::text(
        to,
        format!("{inviter} invited you to {workspace} on Reynard"),
        format!(
            "Hello,\n\n\
             {inviter} invited you to the workspace \"{workspace}\" as {role}.\n\n\
             Open this link, signed in to Reynard (sign up first if you have no account), to join:\n\n\
             {link}\n\n\
             The link works once. If you did not expect this invitation, ignore this mail.\n"
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mails_carry_their_link_on_a_line_of_its_own() {
        let link = "https://team.example/verify-email/abc";
        let mail = verification("ada@example.org", "Ada", link, 48);
        assert_eq!(mail.to, "ada@example.org");
        assert!(mail.text.lines().any(|l| l == link), "{}", mail.text);
        assert!(mail.text.contains("48 hours"));

        let link = "https://team.example/invite/xyz";
        let mail = invitation("bob@example.org", "Ada", "Compilers", "editor", link);
        assert!(mail.subject.contains("Compilers"));
        assert!(mail.text.lines().any(|l| l == link), "{}", mail.text);
        assert!(mail.text.contains("as editor"));
    }
}
