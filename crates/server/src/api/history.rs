//! Version history and branches of a document: list, create, view, diff,
//! restore; fork a branch and merge it back.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use reynard_collab::history::{DIFF_BUDGET, Rebuilt, line_diff};
use reynard_proto::api::{
    BranchView, ChangeSummary, CreateBranchRequest, CreateVersionRequest, DiffHunk, DiffView, DocumentView,
    MergeResponse, RestoreResponse, VersionView,
};
use reynard_proto::document::language_for_path;
use reynard_proto::{DocumentId, Role};
use reynard_store::history::{NewBranch, VersionRecord};

use crate::api::documents::document_access;
use crate::collab::events::VersionKind;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, CurrentUser};
use crate::history_work;
use crate::state::AppState;

/// Lines of context around each change in a diff.
const DIFF_CONTEXT: usize = 3;

fn view(record: VersionRecord) -> VersionView {
    VersionView {
        id: record.id,
        kind: record.kind,
        name: record.name,
        created_at: record.created_at,
        author_ids: record.author_ids,
        summary: ChangeSummary { added: record.added, removed: record.removed },
        seq: record.seq,
    }
}

fn version_name(name: Option<&str>) -> ApiResult<Option<String>> {
    match name.map(str::trim) {
        None | Some("") => Ok(None),
        Some(name) if name.chars().count() > 200 || name.chars().any(char::is_control) => Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_input",
            "a version name has at most 200 printable characters",
        )),
        Some(name) => Ok(Some(name.to_owned())),
    }
}

/// The text of a stored version (rebuilt on a history worker).
async fn version_text(state: &AppState, doc: &DocumentId, version: &str) -> ApiResult<String> {
    let updates = state.store.version_updates(doc, version).await?;
    history_work::run(history_work::Queue::Requests, move || {
        Rebuilt::from_updates(updates.iter().map(Vec::as_slice)).map(|rebuilt| rebuilt.text())
    })
    .await
    .map_err(ApiError::internal)?
    .map_err(ApiError::internal)
}

/// A stored version's whole state and state vector (rebuilt on a history worker).
async fn version_state(state: &AppState, doc: &DocumentId, version: &str) -> ApiResult<(Vec<u8>, Vec<u8>)> {
    let updates = state.store.version_updates(doc, version).await?;
    history_work::run(history_work::Queue::Requests, move || {
        Rebuilt::from_updates(updates.iter().map(Vec::as_slice))
            .map(|rebuilt| (rebuilt.encode_state(), rebuilt.state_vector()))
    })
    .await
    .map_err(ApiError::internal)?
    .map_err(ApiError::internal)
}

/// `POST /api/v1/documents/{doc}/versions {name}` (editors and owners).
pub async fn create(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(doc): Path<DocumentId>,
    ApiJson(body): ApiJson<CreateVersionRequest>,
) -> ApiResult<(StatusCode, Json<VersionView>)> {
    document_access(&state, &doc, &current.user.id, Role::can_edit_documents, "create versions").await?;
    let name = version_name(body.name.as_deref())?;
    let record = state.collab.create_version(&doc, VersionKind::Named, name).await?;
    let record = record.ok_or_else(|| ApiError::internal("a named version was not recorded"))?;
    Ok((StatusCode::CREATED, Json(view(record))))
}

/// `GET /api/v1/documents/{doc}/versions`: newest first.
pub async fn list(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(doc): Path<DocumentId>,
) -> ApiResult<Json<Vec<VersionView>>> {
    document_access(&state, &doc, &current.user.id, Role::can_view, "read history").await?;
    Ok(Json(state.store.versions(&doc).await?.into_iter().map(view).collect()))
}

/// `GET /api/v1/documents/{doc}/versions/{v}/content`: text/plain.
pub async fn content(
    State(state): State<AppState>,
    current: CurrentUser,
    Path((doc, version)): Path<(DocumentId, String)>,
) -> ApiResult<Response> {
    document_access(&state, &doc, &current.user.id, Role::can_view, "read history").await?;
    let text = version_text(&state, &doc, &version).await?;
    Ok(([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], text).into_response())
}

/// Query of `GET …/diff`.
#[derive(Debug, serde::Deserialize)]
pub struct DiffQuery {
    from: String,
    to: Option<String>,
}

/// `GET /api/v1/documents/{doc}/diff?from={v}&to={v|current}`.
pub async fn diff(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(doc): Path<DocumentId>,
    Query(query): Query<DiffQuery>,
) -> ApiResult<Json<DiffView>> {
    document_access(&state, &doc, &current.user.id, Role::can_view, "read history").await?;
    let text_at = |at: String| {
        let state = state.clone();
        let doc = doc.clone();
        async move {
            if at == "current" { Ok(state.collab.text(&doc).await?) } else { version_text(&state, &doc, &at).await }
        }
    };
    let old = text_at(query.from).await?;
    let new = text_at(query.to.unwrap_or_else(|| "current".to_owned())).await?;
    let diff =
        history_work::run(history_work::Queue::Requests, move || line_diff(&old, &new, DIFF_CONTEXT, DIFF_BUDGET))
            .await
            .map_err(ApiError::internal)?;
    let hunks = diff
        .hunks
        .into_iter()
        .map(|h| DiffHunk {
            old_start: h.old_start,
            old_lines: h.old_lines,
            new_start: h.new_start,
            new_lines: h.new_lines,
            lines: h.lines,
        })
        .collect();
    Ok(Json(DiffView { hunks, coarse: diff.coarse }))
}

/// `POST /api/v1/documents/{doc}/versions/{v}/restore` (editors and owners):
/// applies, as a normal update, whatever turns the text into the version's, and
/// records a `restore` version.
pub async fn restore(
    State(state): State<AppState>,
    current: CurrentUser,
    Path((doc, version)): Path<(DocumentId, String)>,
) -> ApiResult<Json<RestoreResponse>> {
    document_access(&state, &doc, &current.user.id, Role::can_edit_documents, "restore versions").await?;
    let target = state.store.version(&doc, &version).await?;
    let text = version_text(&state, &doc, &version).await?;
    state.collab.replace_text(&doc, text, current.user.id.clone()).await?;
    let name = match &target.name {
        Some(name) => format!("Restored “{name}”"),
        None => format!("Restored the version of {}", target.created_at),
    };
    let record = state.collab.create_version(&doc, VersionKind::Restore, Some(name)).await?;
    let record = record.ok_or_else(|| ApiError::internal("the restore version was not recorded"))?;
    Ok(Json(RestoreResponse { version: view(record) }))
}

/// The path of a branch: `dir/stem@name.ext` beside its origin.
fn branch_path(origin: &str, name: &str) -> String {
    let (dir, file) = origin.rsplit_once('/').map_or(("", origin), |(d, f)| (d, f));
    let file = match file.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() => format!("{stem}@{name}.{ext}"),
        _ => format!("{file}@{name}"),
    };
    if dir.is_empty() { file } else { format!("{dir}/{file}") }
}

fn branch_name(name: &str) -> ApiResult<&str> {
    let name = name.trim();
    let valid = !name.is_empty()
        && name.len() <= 64
        && name.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        && !name.starts_with('.');
    if valid {
        Ok(name)
    } else {
        Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_input",
            "a branch name has 1 to 64 letters, digits, '-', '_' or '.'",
        ))
    }
}

/// `POST /api/v1/documents/{doc}/branches {name, from_version?}` (editors and
/// owners): a new document that starts from the version's (or the present)
/// CRDT state, so that its changes can be merged back.
pub async fn create_branch(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(doc): Path<DocumentId>,
    ApiJson(body): ApiJson<CreateBranchRequest>,
) -> ApiResult<(StatusCode, Json<BranchView>)> {
    let (origin, _) =
        document_access(&state, &doc, &current.user.id, Role::can_edit_documents, "create branches").await?;
    let name = branch_name(&body.name)?;
    let (fork_state, fork_sv) = match &body.from_version {
        Some(version) => version_state(&state, &doc, version).await?,
        None => {
            let export = state.collab.export(&doc, None).await?;
            (export.update, export.state_vector)
        }
    };
    let path = branch_path(&origin.path, name);
    let branch: DocumentView = state
        .store
        .create_branch(NewBranch {
            origin: &doc,
            workspace: &origin.workspace_id,
            path: &path,
            language: language_for_path(&path),
            created_by: &current.user.id,
            forked_at: body.from_version.as_deref(),
            fork_state: &fork_state,
            state_vector: &fork_sv,
        })
        .await?;
    let view =
        BranchView { id: branch.id, path: branch.path, branch_of: doc, forked_at: body.from_version, unmerged: false };
    Ok((StatusCode::CREATED, Json(view)))
}

/// `GET /api/v1/documents/{doc}/branches`.
pub async fn branches(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(doc): Path<DocumentId>,
) -> ApiResult<Json<Vec<BranchView>>> {
    document_access(&state, &doc, &current.user.id, Role::can_view, "list branches").await?;
    let branches = state.store.branches(&doc).await?;
    Ok(Json(
        branches
            .into_iter()
            .map(|b| BranchView {
                unmerged: b.seq > b.merged_seq,
                id: b.id,
                path: b.path,
                branch_of: b.branch_of,
                forked_at: b.forked_at,
            })
            .collect(),
    ))
}

/// `POST /api/v1/documents/{branch}/merge` (editors and owners): applies the
/// branch's changes since its fork (or last merge) to its origin as one CRDT
/// update. Merging again without new changes merges nothing.
pub async fn merge(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(branch): Path<DocumentId>,
) -> ApiResult<Json<MergeResponse>> {
    let (document, _) =
        document_access(&state, &branch, &current.user.id, Role::can_edit_documents, "merge branches").await?;
    let Some(branch_state) = state.store.branch_state(&branch).await? else {
        return Err(ApiError::new(StatusCode::CONFLICT, "not_a_branch", format!("{} is not a branch", document.path)));
    };
    let origin = state
        .store
        .document(&branch_state.branch_of)
        .await?
        .ok_or_else(|| ApiError::new(StatusCode::CONFLICT, "origin_deleted", "the branch's origin was deleted"))?;
    let export = state.collab.export(&branch, Some(branch_state.merged_state_vector)).await?;
    let merged_updates = export.seq - branch_state.merged_seq;
    if merged_updates <= 0 {
        return Ok(Json(MergeResponse { merged_updates: 0 }));
    }
    state.collab.apply(&origin.id, export.update, current.user.id.clone()).await?;
    state.store.set_merged(&branch, &export.state_vector, export.seq).await?;
    let name = Some(format!("Merged {}", document.path));
    state.collab.create_version(&origin.id, VersionKind::Merge, name).await?;
    Ok(Json(MergeResponse { merged_updates }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn branch_paths_keep_the_extension() {
        assert_eq!(branch_path("src/main.rs", "fix"), "src/main@fix.rs");
        assert_eq!(branch_path("README", "x"), "README@x");
        assert_eq!(branch_path(".env", "x"), ".env@x");
        assert!(branch_name("feature-1").is_ok());
        assert!(branch_name("../x").is_err());
        assert!(branch_name("").is_err());
    }
}
