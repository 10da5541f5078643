//! Store errors: domain outcomes (not found, conflict, last owner) kept apart from
//! database failures, so that callers answer 404/409 rather than 500.

/// Result of a store operation.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What a store operation can fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The row the operation needs does not exist.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// A uniqueness rule would be broken (duplicate email, existing member…).
    #[error("{0}")]
    Conflict(String),
    /// The operation would leave a workspace without an owner.
    #[error("a workspace must keep at least one owner")]
    LastOwner,
    /// Stored data that does not decode (a role name no longer known…).
    #[error("corrupt stored data: {0}")]
    Corrupt(String),
    /// Migrations could not be applied.
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// Any other database failure.
    #[error("database error: {0}")]
    Database(sqlx::Error),
}

impl From<sqlx::Error> for Error {
    fn from(err: sqlx::Error) -> Self {
        if let sqlx::Error::Database(db) = &err {
            match db.kind() {
                sqlx::error::ErrorKind::UniqueViolation => {
                    return Error::Conflict("already exists".to_owned());
                }
                sqlx::error::ErrorKind::ForeignKeyViolation => {
                    return Error::NotFound("referenced row");
                }
                _ => {}
            }
        }
        Error::Database(err)
    }
}

impl Error {
    /// Replaces the generic message of a uniqueness conflict with a specific one.
    pub(crate) fn conflict_as(self, message: &str) -> Self {
        match self {
            Error::Conflict(_) => Error::Conflict(message.to_owned()),
            other => other,
        }
    }
}
