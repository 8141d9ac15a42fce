//! The paging members of IAM's list actions.

use serde::{Deserialize, Serialize};

/// The paging members of IAM's list actions, read from the same JSON object as the action's own
/// members (`{"UserName":"alice","MaxItems":2,"Marker":"…"}`).
///
/// A response with `"IsTruncated":true` carries a `Marker`; sending it back unchanged as
/// `Marker` gives the next page. The last page has `"IsTruncated":false` and no `Marker`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Paging {
    /// The `Marker` of the previous page's response; the first page when left out. Opaque.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub marker: Option<String>,
    /// At most this many items, 1–1000; 100 when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_items: Option<u32>,
}
