//! `inspect --schema`: a state's payload shown as JSON without its Rust type. postcard does not
//! describe its own values (a struct is its fields in order, with no names or tags), so the
//! shape is given as JSON, and postcard's own deserializer reads the payload through it:
//!
//! - a primitive by name: `"bool"`, `"u8"` .. `"u128"`, `"i8"` .. `"i128"`, `"f32"`, `"f64"`,
//!   `"char"`, `"string"`, `"bytes"`, `"unit"`;
//! - a struct as an object of its fields in declaration order: `{"user": "string", "n": "u64"}`;
//! - a sequence (`Vec<T>`) as a one-element array: `["string"]`;
//! - `{"option": T}`, `{"tuple": [T, ...]}`, `{"map": [K, V]}`, and an enum as
//!   `{"enum": {"Variant": T, "Unit": "unit", ...}}` with its variants in declaration order.

use std::fmt;

use serde::de::{self, DeserializeSeed, EnumAccess, MapAccess, SeqAccess, VariantAccess, Visitor};
use serde_json::{Map, Value};

/// A shape, parsed from its JSON form.
#[derive(Debug, Clone)]
pub(crate) enum Shape {
    Bool,
    Unsigned(u8),
    Signed(u8),
    F32,
    F64,
    Char,
    String,
    Bytes,
    Unit,
    Struct(Vec<(String, Shape)>),
    Seq(Box<Shape>),
    Option(Box<Shape>),
    Tuple(Vec<Shape>),
    Map(Box<Shape>, Box<Shape>),
    Enum(Vec<(String, Shape)>),
}

impl Shape {
    /// Reads a shape from its JSON text.
    pub(crate) fn parse(text: &str) -> Result<Self, String> {
        let value: Value = serde_json::from_str(text).map_err(|e| format!("--schema: {e}"))?;
        Self::from_json(&value)
    }

    fn from_json(value: &Value) -> Result<Self, String> {
        Ok(match value {
            Value::String(name) => match name.as_str() {
                "bool" => Self::Bool,
                "u8" => Self::Unsigned(8),
                "u16" => Self::Unsigned(16),
                "u32" => Self::Unsigned(32),
                "u64" => Self::Unsigned(64),
                "u128" => Self::Unsigned(128),
                "i8" => Self::Signed(8),
                "i16" => Self::Signed(16),
                "i32" => Self::Signed(32),
                "i64" => Self::Signed(64),
                "i128" => Self::Signed(128),
                "f32" => Self::F32,
                "f64" => Self::F64,
                "char" => Self::Char,
                "string" => Self::String,
                "bytes" => Self::Bytes,
                "unit" => Self::Unit,
                other => return Err(format!("--schema: unknown type {other:?}")),
            },
            Value::Array(items) => match items.as_slice() {
                [item] => Self::Seq(Box::new(Self::from_json(item)?)),
                _ => return Err("--schema: a sequence is an array of one shape".to_owned()),
            },
            Value::Object(fields) => Self::from_object(fields)?,
            other => return Err(format!("--schema: {other} is not a shape")),
        })
    }

    fn from_object(fields: &Map<String, Value>) -> Result<Self, String> {
        let single = (fields.len() == 1).then(|| fields.iter().next()).flatten();
        Ok(match single {
            Some((k, v)) if k == "option" => Self::Option(Box::new(Self::from_json(v)?)),
            Some((k, Value::Array(items))) if k == "tuple" => Self::Tuple(
                items
                    .iter()
                    .map(Self::from_json)
                    .collect::<Result<_, _>>()?,
            ),
            Some((k, Value::Array(items))) if k == "map" && items.len() == 2 => Self::Map(
                Box::new(Self::from_json(&items[0])?),
                Box::new(Self::from_json(&items[1])?),
            ),
            Some((k, Value::Object(variants))) if k == "enum" => Self::Enum(named(variants)?),
            _ => Self::Struct(named(fields)?),
        })
    }

    /// The payload as JSON; every byte must be used.
    pub(crate) fn decode(&self, payload: &[u8]) -> Result<Value, String> {
        let mut de = postcard::Deserializer::from_bytes(payload);
        let value = self
            .deserialize(&mut de)
            .map_err(|e| format!("the payload does not have this shape: {e}"))?;
        let rest = de
            .finalize()
            .map_err(|e| format!("the payload does not have this shape: {e}"))?;
        if !rest.is_empty() {
            return Err(format!(
                "the payload does not have this shape: {} bytes left over",
                rest.len()
            ));
        }
        Ok(value)
    }
}

fn named(fields: &Map<String, Value>) -> Result<Vec<(String, Shape)>, String> {
    fields
        .iter()
        .map(|(name, v)| Ok((name.clone(), Shape::from_json(v)?)))
        .collect()
}

impl<'de> DeserializeSeed<'de> for &Shape {
    type Value = Value;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        let v = ValueVisitor(self);
        match self {
            Shape::Bool => d.deserialize_bool(v),
            Shape::Unsigned(8) => d.deserialize_u8(v),
            Shape::Unsigned(16) => d.deserialize_u16(v),
            Shape::Unsigned(32) => d.deserialize_u32(v),
            Shape::Unsigned(64) => d.deserialize_u64(v),
            Shape::Unsigned(_) => d.deserialize_u128(v),
            Shape::Signed(8) => d.deserialize_i8(v),
            Shape::Signed(16) => d.deserialize_i16(v),
            Shape::Signed(32) => d.deserialize_i32(v),
            Shape::Signed(64) => d.deserialize_i64(v),
            Shape::Signed(_) => d.deserialize_i128(v),
            Shape::F32 => d.deserialize_f32(v),
            Shape::F64 => d.deserialize_f64(v),
            Shape::Char => d.deserialize_char(v),
            Shape::String => d.deserialize_str(v),
            Shape::Bytes => d.deserialize_bytes(v),
            Shape::Unit => d.deserialize_unit(v),
            Shape::Struct(fields) => d.deserialize_tuple(fields.len(), v),
            Shape::Tuple(items) => d.deserialize_tuple(items.len(), v),
            Shape::Seq(_) => d.deserialize_seq(v),
            Shape::Option(_) => d.deserialize_option(v),
            Shape::Map(..) => d.deserialize_map(v),
            Shape::Enum(_) => d.deserialize_enum("", &[], v),
        }
    }
}

/// Turns what postcard reads into JSON, by the shape.
struct ValueVisitor<'s>(&'s Shape);

impl<'de> Visitor<'de> for ValueVisitor<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.0)
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(v.into())
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(v.into())
    }

    fn visit_u128<E>(self, v: u128) -> Result<Value, E> {
        // JSON numbers past 64 bits lose precision in most readers: a string keeps them exact.
        Ok(u64::try_from(v).map_or_else(|_| Value::String(v.to_string()), Value::from))
    }

    fn visit_i128<E>(self, v: i128) -> Result<Value, E> {
        Ok(i64::try_from(v).map_or_else(|_| Value::String(v.to_string()), Value::from))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number))
    }

    fn visit_char<E>(self, v: char) -> Result<Value, E> {
        Ok(Value::String(v.to_string()))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_bytes<E>(self, v: &[u8]) -> Result<Value, E> {
        Ok(Value::Array(v.iter().map(|&b| b.into()).collect()))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_some<D: de::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        match self.0 {
            Shape::Option(inner) => inner.as_ref().deserialize(d),
            _ => Err(de::Error::custom("an option where the shape has none")),
        }
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let missing = || de::Error::custom("the payload ended inside a value");
        match self.0 {
            Shape::Struct(fields) => {
                let mut out = Map::new();
                for (name, shape) in fields {
                    out.insert(
                        name.clone(),
                        seq.next_element_seed(shape)?.ok_or_else(missing)?,
                    );
                }
                Ok(Value::Object(out))
            }
            Shape::Tuple(items) => items
                .iter()
                .map(|shape| seq.next_element_seed(shape)?.ok_or_else(missing))
                .collect::<Result<Vec<_>, _>>()
                .map(Value::Array),
            Shape::Seq(item) => {
                let mut out = Vec::new();
                while let Some(v) = seq.next_element_seed(item.as_ref())? {
                    out.push(v);
                }
                Ok(Value::Array(out))
            }
            _ => Err(de::Error::custom("a sequence where the shape has none")),
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let Shape::Map(key, value) = self.0 else {
            return Err(de::Error::custom("a map where the shape has none"));
        };
        let mut out = Vec::new();
        while let Some(k) = map.next_key_seed(key.as_ref())? {
            let v = map.next_value_seed(value.as_ref())?;
            out.push(Value::Array(vec![k, v]));
        }
        // Keys need not be strings: pairs keep every map exact.
        Ok(Value::Array(out))
    }

    fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<Value, A::Error> {
        let Shape::Enum(variants) = self.0 else {
            return Err(de::Error::custom("an enum where the shape has none"));
        };
        let (index, variant) = data.variant::<u32>()?;
        let (name, shape) = variants
            .get(index as usize)
            .ok_or_else(|| de::Error::custom(format!("variant {index} is not in the shape")))?;
        let content = variant.newtype_variant_seed(shape)?;
        let mut out = Map::new();
        out.insert(name.clone(), content);
        Ok(Value::Object(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Serialize;

    #[derive(Serialize)]
    enum Role {
        Reader,
        Admin { level: u8 },
    }

    #[derive(Serialize)]
    struct State {
        user: String,
        counter: u64,
        delta: i32,
        roles: Vec<Role>,
        theme: Option<char>,
        pair: (bool, f64),
    }

    #[test]
    fn a_struct_decodes_by_its_shape() {
        let state = State {
            user: "alice".into(),
            counter: 300,
            delta: -2,
            roles: vec![Role::Reader, Role::Admin { level: 3 }],
            theme: Some('d'),
            pair: (true, 0.5),
        };
        let payload = postcard::to_allocvec(&state).unwrap();
        let shape = Shape::parse(
            r#"{"user": "string", "counter": "u64", "delta": "i32",
                "roles": [{"enum": {"Reader": "unit", "Admin": {"level": "u8"}}}],
                "theme": {"option": "char"}, "pair": {"tuple": ["bool", "f64"]}}"#,
        )
        .unwrap();
        assert_eq!(
            shape.decode(&payload).unwrap(),
            serde_json::json!({
                "user": "alice", "counter": 300, "delta": -2,
                "roles": [{"Reader": null}, {"Admin": {"level": 3}}],
                "theme": "d", "pair": [true, 0.5]
            })
        );
    }

    #[test]
    fn a_wrong_shape_is_an_error_not_a_guess() {
        let payload = postcard::to_allocvec(&("alice", 7u8)).unwrap();
        assert!(
            Shape::parse(r#"{"tuple": ["string"]}"#)
                .unwrap()
                .decode(&payload)
                .is_err()
        );
        assert!(
            Shape::parse(r#"{"tuple": ["string", "u8", "u8"]}"#)
                .unwrap()
                .decode(&payload)
                .is_err()
        );
        assert!(Shape::parse(r#""float""#).is_err());
    }
}
