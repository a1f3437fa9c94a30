//! Removing an account through the usual delete path: every object's backing bytes go to
//! `gc_queue`, every multipart upload is aborted at the backend, then the rows go.

use crate::catalog::CatalogError;
use crate::domain::UserId;
use crate::objects::WriteError;
use crate::Core;

/// Objects deleted per catalog page while removing an account.
const PAGE: i64 = 500;

impl Core {
    /// Deletes user `id` and all they store. The account is disabled first, so its credentials
    /// stop working before anything is removed; a write that was already in flight and commits
    /// meanwhile is removed in a further round. False when there was no such user.
    pub async fn delete_user(&self, id: UserId) -> Result<bool, WriteError> {
        if !self.catalog.set_disabled(id, true).await? {
            return Ok(false);
        }
        for _round in 0..5 {
            for bucket in self.catalog.buckets(id).await? {
                for upload in self.catalog.bucket_multipart_uploads(id, bucket.id).await? {
                    self.abort_multipart(&upload).await?;
                }
                loop {
                    let page = self.catalog.list_bucket_objects(id, bucket.id, "", None, PAGE).await?;
                    if page.is_empty() {
                        break;
                    }
                    for object in page {
                        self.catalog.delete_object(id, object.id, self.settings.gc.grace).await?;
                    }
                }
            }
            match self.catalog.delete_user_row(id).await {
                Ok(deleted) => {
                    tracing::info!(user_id = id.0, "account deleted");
                    return Ok(deleted);
                }
                // A write committed while we deleted: another round.
                Err(CatalogError::Conflict) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(WriteError::Catalog(CatalogError::Conflict))
    }
}
