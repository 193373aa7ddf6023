//! Owns deserializing a lock into its types without stopping at the first
//! misfit. serde's derived code returns at the first error; this
//! `Deserializer` over the parsed JSON never gives it one for a value it can
//! check itself. It records the problem with its JSON pointer and hands the
//! type a default (`0`, `""`, empty), and it feeds every field a struct
//! declares, reporting unknown ones and standing in for missing ones. So
//! one read reports every problem, each where it is, and the types stay the
//! format's only definition. A lock with any problem is not used after.

use crate::load::escape_pointer_token as esc;
use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Expected, MapAccess, SeqAccess, Visitor};
use serde_json::Value;
use std::cell::RefCell;
use std::fmt;

/// What did not fit, and where (JSON pointers into the lock).
#[derive(Debug)]
pub(super) enum Problem {
    WrongType {
        pointer: String,
        expected: String,
    },
    Missing {
        object: String,
        field: &'static str,
    },
    Unknown {
        object: String,
        field: String,
        known: &'static [&'static str],
    },
    /// An error a type raised itself (none of the lock's types does).
    Other {
        pointer: String,
        message: String,
    },
}

/// Deserializes `value`; `None` only when a type raised an error of its own.
pub(super) fn deserialize<T: for<'de> Deserialize<'de>>(
    value: &Value,
) -> (Option<T>, Vec<Problem>) {
    let problems = RefCell::new(Vec::new());
    let at = At {
        value: Some(value),
        pointer: String::new(),
        problems: &problems,
    };
    let result = T::deserialize(at);
    let mut problems = problems.into_inner();
    match result {
        Ok(t) => (Some(t), problems),
        Err(Error(message)) => {
            problems.push(Problem::Other {
                pointer: String::new(),
                message,
            });
            (None, problems)
        }
    }
}

#[derive(Debug)]
pub(super) struct Error(String);

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

impl de::Error for Error {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Error(msg.to_string())
    }
}

/// The value at `pointer`; `None` for a missing field, already reported,
/// which deserializes silently to a default.
struct At<'a> {
    value: Option<&'a Value>,
    pointer: String,
    problems: &'a RefCell<Vec<Problem>>,
}

impl<'a> At<'a> {
    fn child(&self, value: Option<&'a Value>, token: &str) -> At<'a> {
        At {
            value,
            pointer: format!("{}/{}", self.pointer, esc(token)),
            problems: self.problems,
        }
    }

    /// Records that the value is not `expected` (unless it is missing).
    fn wrong(&self, expected: &dyn Expected) {
        if self.value.is_some() {
            self.problems.borrow_mut().push(Problem::WrongType {
                pointer: self.pointer.clone(),
                expected: expected.to_string(),
            });
        }
    }

    fn uint<V: Visitor<'a>>(self, max: u64, visitor: V) -> Result<V::Value, Error> {
        match self.value.and_then(Value::as_u64) {
            Some(n) if n <= max => visitor.visit_u64(n),
            _ => {
                self.wrong(&"a whole number, at least 0");
                visitor.visit_u64(0)
            }
        }
    }
}

impl<'a> de::Deserializer<'a> for At<'a> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.value {
            None | Some(Value::Null) => visitor.visit_unit(),
            Some(Value::Bool(b)) => visitor.visit_bool(*b),
            Some(Value::Number(_)) => self.deserialize_f64(visitor),
            Some(Value::String(s)) => visitor.visit_str(s),
            Some(Value::Array(_)) => self.deserialize_seq(visitor),
            Some(Value::Object(_)) => self.deserialize_map(visitor),
        }
    }

    fn deserialize_bool<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.value {
            Some(Value::Bool(b)) => visitor.visit_bool(*b),
            _ => {
                self.wrong(&"`true` or `false`");
                visitor.visit_bool(false)
            }
        }
    }

    fn deserialize_u8<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, Error> {
        self.uint(u8::MAX.into(), visitor)
    }

    fn deserialize_u16<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, Error> {
        self.uint(u16::MAX.into(), visitor)
    }

    fn deserialize_u32<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, Error> {
        self.uint(u32::MAX.into(), visitor)
    }

    fn deserialize_u64<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, Error> {
        self.uint(u64::MAX, visitor)
    }

    /// Any JSON number, in the form it was parsed to; the visitor says what
    /// it wanted when the value is not a number.
    fn deserialize_f64<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, Error> {
        let Some(Value::Number(n)) = self.value else {
            self.wrong(&visitor);
            return visitor.visit_u64(0);
        };
        if let Some(u) = n.as_u64() {
            visitor.visit_u64(u)
        } else if let Some(i) = n.as_i64() {
            visitor.visit_i64(i)
        } else {
            visitor.visit_f64(n.as_f64().unwrap_or_default())
        }
    }

    fn deserialize_str<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.value {
            Some(Value::String(s)) => visitor.visit_borrowed_str(s),
            _ => {
                self.wrong(&"a string");
                visitor.visit_borrowed_str("")
            }
        }
    }

    fn deserialize_string<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_str(visitor)
    }

    fn deserialize_option<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.value {
            None | Some(Value::Null) => visitor.visit_none(),
            Some(_) => visitor.visit_some(self),
        }
    }

    fn deserialize_seq<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, Error> {
        let items: &[Value] = match self.value {
            Some(Value::Array(items)) => items,
            _ => {
                self.wrong(&"a list");
                &[]
            }
        };
        visitor.visit_seq(Items {
            items: items.iter().enumerate(),
            parent: self,
        })
    }

    fn deserialize_map<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, Error> {
        let entries: Vec<(&'a str, Option<&'a Value>)> = match self.value {
            Some(Value::Object(map)) => map.iter().map(|(k, v)| (k.as_str(), Some(v))).collect(),
            _ => {
                self.wrong(&"an object");
                Vec::new()
            }
        };
        visitor.visit_map(Entries {
            entries: entries.into_iter(),
            value: None,
            parent: self,
        })
    }

    /// The object's known fields in file order, then the missing ones (as
    /// missing values); unknown fields are reported and left out.
    fn deserialize_struct<V: Visitor<'a>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        let mut entries: Vec<(&'a str, Option<&'a Value>)> = Vec::new();
        match self.value {
            Some(Value::Object(map)) => {
                for (key, value) in map {
                    if fields.contains(&key.as_str()) {
                        entries.push((key, Some(value)));
                    } else {
                        self.problems.borrow_mut().push(Problem::Unknown {
                            object: self.pointer.clone(),
                            field: key.clone(),
                            known: fields,
                        });
                    }
                }
                for field in fields.iter().filter(|f| !map.contains_key(**f)) {
                    self.problems.borrow_mut().push(Problem::Missing {
                        object: self.pointer.clone(),
                        field,
                    });
                    entries.push((field, None));
                }
            }
            _ => {
                self.wrong(&"an object");
                entries.extend(fields.iter().map(|f| (*f, None)));
            }
        }
        visitor.visit_map(Entries {
            entries: entries.into_iter(),
            value: None,
            parent: self,
        })
    }

    fn deserialize_newtype_struct<V: Visitor<'a>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_ignored_any<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_unit()
    }

    serde::forward_to_deserialize_any! {
        <W: Visitor<'a>>
        i8 i16 i32 i64 i128 u128 f32 char bytes byte_buf unit unit_struct
        tuple tuple_struct enum identifier
    }
}

struct Items<'a, I> {
    items: I,
    parent: At<'a>,
}

impl<'a, I: Iterator<Item = (usize, &'a Value)>> SeqAccess<'a> for Items<'a, I> {
    type Error = Error;

    fn next_element_seed<T: DeserializeSeed<'a>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Error> {
        match self.items.next() {
            Some((i, item)) => seed
                .deserialize(self.parent.child(Some(item), &i.to_string()))
                .map(Some),
            None => Ok(None),
        }
    }
}

struct Entries<'a, I> {
    entries: I,
    /// The entry whose key was just handed out.
    value: Option<(&'a str, Option<&'a Value>)>,
    parent: At<'a>,
}

impl<'a, I: Iterator<Item = (&'a str, Option<&'a Value>)>> MapAccess<'a> for Entries<'a, I> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'a>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        let Some((key, value)) = self.entries.next() else {
            return Ok(None);
        };
        self.value = Some((key, value));
        seed.deserialize(de::value::BorrowedStrDeserializer::new(key))
            .map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'a>>(&mut self, seed: V) -> Result<V::Value, Error> {
        let (key, value) = self
            .value
            .take()
            .ok_or_else(|| de::Error::custom("a value without a key"))?;
        seed.deserialize(self.parent.child(value, key))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)] // read only through `Debug`
    struct Inner {
        n: u64,
        flag: Option<bool>,
    }

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Outer {
        name: String,
        items: Vec<Inner>,
    }

    #[test]
    fn every_problem_is_reported_in_one_read() {
        let value = serde_json::json!({
            "name": 7,
            "items": [{ "n": "x", "flag": null }, { "n": 1, "extra": true }],
            "other": [],
        });
        let (read, problems) = deserialize::<Outer>(&value);
        assert!(read.is_some());
        let found: Vec<String> = problems
            .iter()
            .map(|p| match p {
                Problem::WrongType { pointer, expected } => format!("{pointer}: {expected}"),
                Problem::Missing { object, field } => format!("{object}: no {field}"),
                Problem::Unknown { object, field, .. } => format!("{object}: unknown {field}"),
                Problem::Other { pointer, message } => format!("{pointer}: {message}"),
            })
            .collect();
        assert_eq!(
            found,
            [
                ": unknown other",
                "/name: a string",
                "/items/0/n: a whole number, at least 0",
                "/items/1: unknown extra",
                "/items/1: no flag",
            ]
        );
    }
}
