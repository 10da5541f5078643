-- Emails are verified before they claim invitations; invitations carry a link
-- (stored as the SHA-256 of its token); links are signed with a key of the
-- server kept here so that every process and every restart shares it.
ALTER TABLE users ADD COLUMN email_verified_at BIGINT;

ALTER TABLE workspace_invitations ADD COLUMN token_hash TEXT;
CREATE UNIQUE INDEX workspace_invitations_token ON workspace_invitations (token_hash);

CREATE TABLE server_secrets (
    name       TEXT PRIMARY KEY NOT NULL,
    value      TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
