//! JSON with duplicate object keys refused.

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

/// A JSON value read with duplicate object keys refused. `serde_json::Value` keeps the last of
/// two equal keys; IAM documents must not depend on such parser details.
pub(super) struct StrictJson(pub Value);

impl<'de> Deserialize<'de> for StrictJson {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(StrictVisitor).map(StrictJson)
    }
}

struct StrictVisitor;

impl<'de> Visitor<'de> for StrictVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(v.into())
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(v.into())
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(v.into())
    }
    // serde_json hands every string to `visit_str` (through `visit_borrowed_str`); serde's own
    // `visit_string` forwards there too, so it needs no body of its own.
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut list = Vec::new();
        while let Some(StrictJson(item)) = seq.next_element()? {
            list.push(item);
        }
        Ok(Value::Array(list))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut object = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if object.contains_key(&key) {
                return Err(de::Error::custom(format_args!("duplicate key {key:?}")));
            }
            let StrictJson(value) = map.next_value()?;
            object.insert(key, value);
        }
        Ok(Value::Object(object))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Strict reading changes nothing but duplicate keys: every kind of value (negative, positive
    /// and fractional numbers, `null`, booleans, strings with and without escapes, arrays,
    /// objects) reads as `serde_json` reads it.
    #[test]
    fn every_value_reads_as_serde_json_reads_it() {
        let text = r#"{"n":[-1, 18446744073709551615, 1.5, null, true, false, "s", "\u00e9\n"],
                       "o":{"k":{}}}"#;
        let StrictJson(strict) = serde_json::from_str(text).unwrap();
        let plain: Value = serde_json::from_str(text).unwrap();
        assert_eq!(strict, plain);
        assert_eq!(strict["n"][0], Value::from(-1));
        assert_eq!(strict["n"][1], Value::from(u64::MAX));
        assert_eq!(strict["n"][2], Value::from(1.5));
    }

    #[test]
    fn a_repeated_key_is_refused_at_any_depth() {
        for text in [r#"{"a":1,"a":1}"#, r#"[{"o":{"a":1,"b":2,"a":3}}]"#] {
            let error = serde_json::from_str::<StrictJson>(text).err().unwrap();
            assert!(error.to_string().contains("duplicate key \"a\""), "{error}");
        }
    }
}
