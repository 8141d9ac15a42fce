//! IAM's pagination of the list actions: `MaxItems` (1–1000, 100 when left out) and `Marker`.
//!
//! Keyset pagination: a marker is the sort key of the last item of the page it came with, tagged
//! with the list it belongs to ([`Position`]), as base64url of a small JSON document. Clients
//! treat it as opaque; it is decoded and checked on the way in, and the next page is the items
//! whose sort key follows it (`WHERE key > ? ORDER BY key LIMIT n + 1`, the one extra row only
//! telling whether more remain). Nothing is kept on the server between pages: a walk never repeats
//! or skips an item that exists for the whole walk, and an item added or removed meanwhile shows
//! or not according to where it sorts.

use data_encoding::BASE64URL_NOPAD;
use serde::{Deserialize, Serialize};
use shared::api::Paging;

use crate::error::Error;

/// `MaxItems` when left out, as in IAM.
pub const DEFAULT_MAX_ITEMS: u32 = 100;
/// The largest `MaxItems`, as in IAM.
pub const MAX_MAX_ITEMS: u32 = 1000;
/// The longest marker accepted: far above any this server hands out (a serial number of a few
/// hundred characters), so decoding work stays bounded.
const MAX_MARKER_CHARS: usize = 4096;

/// Where a page ends: the sort key of its last item, one variant per list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum Position {
    /// `ListUsers`, by lower-cased user name (unique within an account).
    #[serde(rename = "u")]
    User(String),
    /// `ListVirtualMFADevices`, by serial number (unique within an account).
    #[serde(rename = "v")]
    VirtualDevice(String),
    /// `ListMFADevices`, by enable date (Unix ms), then serial number (unique within an
    /// account). Not the row id: a marker would then tell how many devices the whole service
    /// holds.
    #[serde(rename = "m")]
    Device(i64, String),
    /// `ListAccessKeys`, by creation date (Unix ms), then key id.
    #[serde(rename = "k")]
    AccessKey(i64, String),
}

impl Position {
    /// The marker a client sends back.
    pub(crate) fn encode(&self) -> String {
        let json = serde_json::to_vec(self).expect("a position serialises");
        BASE64URL_NOPAD.encode(&json)
    }

    /// A marker's position; `None` when it is not one this server hands out.
    pub(crate) fn decode(marker: &str) -> Option<Position> {
        if marker.is_empty() || marker.len() > MAX_MARKER_CHARS {
            return None;
        }
        let json = BASE64URL_NOPAD.decode(marker.as_bytes()).ok()?;
        let position: Position = serde_json::from_slice(&json).ok()?;
        let sane = match &position {
            Position::User(key) => !key.is_empty() && *key == key.to_lowercase(),
            Position::VirtualDevice(serial) => !serial.is_empty(),
            Position::Device(date, serial) => *date >= 0 && !serial.is_empty(),
            Position::AccessKey(date, id) => *date >= 0 && !id.is_empty(),
        };
        sane.then_some(position)
    }
}

/// A validated page request: at most `max_items` items after `after` (from the start when
/// `None`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Page<K> {
    /// The keyset position the page starts after.
    pub after: Option<K>,
    /// `MaxItems`.
    pub max_items: usize,
}

impl<K> Page<K> {
    /// The `LIMIT` to read with: one more than a page, to learn whether more remain.
    pub fn limit(&self) -> i64 {
        self.max_items as i64 + 1
    }

    /// The rows read with [`Page::limit`] cut to the page, and the marker of the next page when
    /// more remain (the position of the page's last item).
    pub fn finish<T>(
        &self,
        mut rows: Vec<T>,
        position: impl Fn(&T) -> Position,
    ) -> (Vec<T>, Option<String>) {
        let more = rows.len() > self.max_items;
        rows.truncate(self.max_items);
        let marker = if more {
            rows.last().map(|r| position(r).encode())
        } else {
            None
        };
        (rows, marker)
    }
}

/// Checks `MaxItems` and decodes `Marker` for a list whose positions `key` accepts (it returns
/// `None` for another list's position). Either wrong is IAM's `ValidationError`.
pub(crate) fn page<K>(
    paging: &Paging,
    key: impl FnOnce(Position) -> Option<K>,
) -> Result<Page<K>, Error> {
    let max_items = paging.max_items.unwrap_or(DEFAULT_MAX_ITEMS);
    if !(1..=MAX_MAX_ITEMS).contains(&max_items) {
        return Err(Error::Validation(format!(
            "MaxItems must be an integer from 1 to {MAX_MAX_ITEMS}."
        )));
    }
    let after = match paging.marker.as_deref() {
        None => None,
        Some(marker) => Some(Position::decode(marker).and_then(key).ok_or_else(|| {
            Error::Validation(
                "Marker is not valid: send back the Marker of the previous response unchanged."
                    .into(),
            )
        })?),
    };
    Ok(Page {
        after,
        max_items: max_items as usize,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paging(marker: Option<&str>, max_items: Option<u32>) -> Paging {
        Paging {
            marker: marker.map(str::to_owned),
            max_items,
        }
    }

    fn users(p: &Paging) -> Result<Page<String>, Error> {
        page(p, |pos| match pos {
            Position::User(k) => Some(k),
            _ => None,
        })
    }

    #[test]
    fn max_items_is_one_to_a_thousand_with_a_hundred_by_default() {
        assert_eq!(users(&paging(None, None)).unwrap().max_items, 100);
        assert_eq!(users(&paging(None, Some(1))).unwrap().max_items, 1);
        assert_eq!(users(&paging(None, Some(1000))).unwrap().limit(), 1001);
        for bad in [0, 1001, u32::MAX] {
            let e = users(&paging(None, Some(bad))).unwrap_err();
            assert!(matches!(e, Error::Validation(_)), "{bad}: {e}");
        }
    }

    #[test]
    fn markers_round_trip_and_anything_else_is_refused() {
        let page: Page<String> = Page {
            after: None,
            max_items: 2,
        };
        let (rows, marker) = page.finish(vec!["a", "b", "c"], |r| Position::User(r.to_string()));
        assert_eq!(rows, ["a", "b"]);
        let marker = marker.unwrap();
        assert!(
            marker
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
            "{marker}"
        );
        let next = users(&paging(Some(&marker), Some(2))).unwrap();
        assert_eq!(next.after.as_deref(), Some("b"));
        // The last page (exactly full, or short) has no marker.
        assert_eq!(
            page.finish(vec!["a", "b"], |r| Position::User(r.to_string()))
                .1,
            None
        );
        assert_eq!(
            page.finish(Vec::<&str>::new(), |r| Position::User(r.to_string()))
                .1,
            None
        );

        let other_list = Position::AccessKey(1, "AKIA".into()).encode();
        let upper = Position::User("Alice".into()).encode();
        let negative = Position::Device(-1, "GAHT1".into()).encode();
        let no_serial = Position::Device(5, String::new()).encode();
        let garbage = BASE64URL_NOPAD.encode(b"{\"u\":\"a\"} trailing");
        for bad in [
            "",
            "not-ours",
            "!!!!",
            &other_list,
            &upper,
            &negative,
            &no_serial,
            &garbage,
            &"A".repeat(MAX_MARKER_CHARS + 4),
        ] {
            let e = users(&paging(Some(bad), None)).unwrap_err();
            assert!(matches!(e, Error::Validation(_)), "{bad}: {e}");
        }
        let device = page_of_devices(&Position::Device(5, "GAHT1".into()).encode());
        assert_eq!(device.unwrap().after, Some((5, "GAHT1".to_owned())));
        assert!(page_of_devices(&no_serial).is_err());
    }

    fn page_of_devices(marker: &str) -> Result<Page<(i64, String)>, Error> {
        page(&paging(Some(marker), None), |pos| match pos {
            Position::Device(d, i) => Some((d, i)),
            _ => None,
        })
    }
}
