//! Listing a bucket in S3's order with common prefixes: the one walk that ListObjects (v1, v2,
//! versions) on the gateway and the dashboard's folder view share.

use crate::catalog::{CatalogError, CatalogObject};
use crate::domain::UserId;

/// Rows read from the catalog at a time.
const BATCH: i64 = 1000;

/// One page of a listing: objects and common prefixes, in order.
pub struct Listing {
    pub objects: Vec<CatalogObject>,
    pub prefixes: Vec<String>,
    pub truncated: bool,
    /// The last key or common prefix of the page: where the next page starts after.
    pub last: Option<String>,
}

/// The common prefix `key` rolls up into under `prefix` and `delimiter`, if any.
fn common_prefix<'k>(key: &'k str, prefix: &str, delimiter: Option<&str>) -> Option<&'k str> {
    let delimiter = delimiter?;
    let rest = key.get(prefix.len()..)?;
    rest.find(delimiter).map(|i| &key[..prefix.len() + i + delimiter.len()])
}

impl crate::Core {
    /// Walks the bucket from after `after` (exclusive): at most `max` entries, keys under a common
    /// prefix rolled up into it. Whole runs of rolled-up keys are skipped in the catalog, not read.
    pub async fn walk_bucket(
        &self,
        owner: UserId,
        bucket_id: i64,
        prefix: &str,
        delimiter: Option<&str>,
        after: Option<String>,
        max: usize,
    ) -> Result<Listing, CatalogError> {
        let mut listing = Listing { objects: Vec::new(), prefixes: Vec::new(), truncated: false, last: None };
        if max == 0 {
            return Ok(listing);
        }
        // A marker that is itself a common prefix was answered on an earlier page.
        let mut last_prefix = after
            .as_deref()
            .and_then(|a| common_prefix(a, prefix, delimiter).filter(|cp| *cp == a))
            .map(str::to_string);
        let mut cursor = match &last_prefix {
            Some(cp) => Some(format!("{cp}\u{10FFFF}")),
            None => after,
        };
        let mut count = 0usize;
        'pages: loop {
            let rows = self.catalog.list_bucket_objects(owner, bucket_id, prefix, cursor.as_deref(), BATCH).await?;
            let full = rows.len() as i64 == BATCH;
            for object in rows {
                if !object.key.starts_with(prefix) {
                    break 'pages;
                }
                if let Some(cp) = common_prefix(&object.key, prefix, delimiter) {
                    if last_prefix.as_deref() == Some(cp) {
                        continue;
                    }
                    if count == max {
                        listing.truncated = true;
                        break 'pages;
                    }
                    listing.prefixes.push(cp.to_string());
                    listing.last = Some(cp.to_string());
                    last_prefix = Some(cp.to_string());
                    count += 1;
                    // Jump past every key under this prefix.
                    cursor = Some(format!("{cp}\u{10FFFF}"));
                    continue 'pages;
                }
                if count == max {
                    listing.truncated = true;
                    break 'pages;
                }
                cursor = Some(object.key.clone());
                listing.last = Some(object.key.clone());
                listing.objects.push(object);
                count += 1;
            }
            if !full {
                break;
            }
        }
        Ok(listing)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_prefixes() {
        assert_eq!(common_prefix("photos/2024/a.jpg", "", Some("/")), Some("photos/"));
        assert_eq!(common_prefix("photos/2024/a.jpg", "photos/", Some("/")), Some("photos/2024/"));
        assert_eq!(common_prefix("photos/a.jpg", "photos/", Some("/")), None);
        assert_eq!(common_prefix("a--b--c", "", Some("--")), Some("a--"));
        assert_eq!(common_prefix("abc", "", None), None);
    }
}
