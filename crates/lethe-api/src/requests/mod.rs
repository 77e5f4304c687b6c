//! The `/v1/requests` resource: create, read, lifecycle actions, and what a
//! request produces (plan, steps, access package, erasure report), and
//! the manual steps a person confirms or declines.

pub mod actions;
pub mod callbacks;
pub mod create;
pub mod identifiers;
pub mod manual;
pub mod package;
pub mod plan;
pub mod read;
pub mod report;
pub mod steps;
pub mod view;

/// The request `id`, or the 404 every `/v1/requests/{id}` operation answers
/// for an unknown one.
pub(crate) async fn request_or_404(
    store: &dyn lethe_store::Store,
    id: uuid::Uuid,
) -> Result<lethe_store::RequestRecord, crate::problem::ApiError> {
    store
        .get_request(id)
        .await?
        .ok_or(crate::problem::ApiError::RequestNotFound)
}
