//! Parsed policy documents, kept by their text.
//!
//! Every request evaluates the caller's attached documents, which the session's statement
//! reads as text; parsing them (JSON, then each pattern compiled) took ~13 µs of a resync's
//! ~400 µs of server time (`perf`, issue 13). The text is the key, so an entry can never be
//! stale: a changed policy is another text, parsed afresh, and the same text always parses to
//! the same [`Policy`]. A document that does not parse is not kept (its error is logged and the
//! request denied each time, as before). At most [`ENTRIES`] documents are kept; when full the
//! map is emptied and fills again with whatever is in use.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, PoisonError, RwLock};

use super::document::Policy;
use super::error::PolicyError;

/// Documents kept at most: an account's distinct policies, with room to spare.
const ENTRIES: usize = 1024;

/// Parsed documents by their text.
#[derive(Debug, Default)]
struct Cache {
    map: RwLock<HashMap<Box<str>, Arc<Policy>>>,
}

impl Cache {
    /// [`Policy::parse`], once per distinct text while it is kept.
    fn parse(&self, json: &str) -> Result<Arc<Policy>, PolicyError> {
        if let Some(policy) = self
            .map
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(json)
        {
            return Ok(Arc::clone(policy));
        }
        let policy = Arc::new(Policy::parse(json)?);
        let mut map = self.map.write().unwrap_or_else(PoisonError::into_inner);
        if map.len() >= ENTRIES {
            map.clear();
        }
        map.insert(json.into(), Arc::clone(&policy));
        Ok(policy)
    }
}

static PARSED: LazyLock<Cache> = LazyLock::new(Cache::default);

/// [`Policy::parse`], once per distinct text (the process's cache).
pub fn parse_cached(json: &str) -> Result<Arc<Policy>, PolicyError> {
    PARSED.parse(json)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::context::RequestContext;
    use crate::policy::evaluate::evaluate;

    const SELF_SERVICE_POLICY: &str = include_str!("../../policies/self-service.json");

    /// The same text gives the same parsed document; another text its own; a document that
    /// does not parse is refused every time.
    #[test]
    fn a_text_is_parsed_once_and_another_text_afresh() {
        let cache = Cache::default();
        let one = cache.parse(SELF_SERVICE_POLICY).unwrap();
        let again = cache.parse(SELF_SERVICE_POLICY).unwrap();
        assert!(Arc::ptr_eq(&one, &again));
        let deny = SELF_SERVICE_POLICY.replace("\"Allow\"", "\"Deny\"");
        let other = cache.parse(&deny).unwrap();
        assert!(!Arc::ptr_eq(&one, &other));
        let ctx = RequestContext {
            action: "iam:ListVirtualMFADevices",
            resource: "*",
            account: "111122223333",
            username: Some("alice"),
            mfa_present: Some(true),
            mfa_age: Some(0),
        };
        assert!(evaluate(&[one], &ctx).is_allowed());
        assert!(!evaluate(&[other], &ctx).is_allowed());
        let broken = r#"{"Statement":{"Effect":"Maybe"}}"#;
        assert!(cache.parse(broken).is_err());
        assert!(cache.parse(broken).is_err());
        assert_eq!(cache.map.read().unwrap().len(), 2);
    }

    /// A full map is emptied, and what is asked for next is kept again.
    #[test]
    fn a_full_map_starts_again() {
        let cache = Cache::default();
        let text = |i: usize| SELF_SERVICE_POLICY.replacen('{', &format!("{{\"Id\":\"p{i}\","), 1);
        let first = cache.parse(&text(0)).unwrap();
        for i in 1..ENTRIES {
            cache.parse(&text(i)).unwrap();
        }
        assert_eq!(cache.map.read().unwrap().len(), ENTRIES);
        assert!(Arc::ptr_eq(&first, &cache.parse(&text(0)).unwrap()));
        cache.parse(&text(ENTRIES)).unwrap();
        assert_eq!(cache.map.read().unwrap().len(), 1);
        assert!(!Arc::ptr_eq(&first, &cache.parse(&text(0)).unwrap()));
    }
}
