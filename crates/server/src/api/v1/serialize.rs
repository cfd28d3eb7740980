//! Helpers every resource serializer shares: timestamps, metadata, relationship
//! objects and the resource envelope (always with `attributes` and `relationships`).

use crate::account::Account;
use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};
use serde_json::{Map, Value, json};

/// A stored unix-ms timestamp as Keygen's ISO-8601 string, or null.
pub fn ts(ms: Option<i64>) -> Value {
    ms.and_then(latchkey_proto::time_format::from_millis)
        .map(|at| Value::String(latchkey_proto::time_format::format(at)))
        .unwrap_or(Value::Null)
}

/// A non-null stored timestamp.
pub fn ts1(ms: i64) -> Value {
    ts(Some(ms))
}

/// Stored JSON text as a value (`{}` if unreadable).
pub fn json_text(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|_| Value::Object(Map::new()))
}

/// The account relationship every resource has.
pub fn account_rel(account: &Account) -> Value {
    json!({ "links": { "related": account.base() }, "data": { "type": "accounts", "id": account.id() } })
}

/// A to-one relationship with linkage.
pub fn to_one(account: &Account, own: &str, name: &str, kind: &str, id: Option<&str>) -> Value {
    json!({
        "links": { "related": format!("{}/{own}/{name}", account.base()) },
        "data": id.map(|id| json!({ "type": kind, "id": id })),
    })
}

/// A to-many relationship, linked only.
pub fn to_many(account: &Account, own: &str, name: &str) -> Value {
    json!({ "links": { "related": format!("{}/{own}/{name}", account.base()) } })
}

/// The resource envelope.
pub fn resource(
    account: &Account,
    kind: &str,
    id: &str,
    attributes: Value,
    relationships: Value,
) -> Value {
    json!({
        "id": id,
        "type": kind,
        "attributes": attributes,
        "relationships": relationships,
        "links": { "self": format!("{}/{kind}/{id}", account.base()) },
    })
}

/// `{ "data": resource }`.
pub fn single(data: Value) -> Value {
    json!({ "data": data })
}

// Typed forms of the helpers above, for documents on a hot path (a validation): they
// serialize straight into the response bytes, without building a `Value` tree; the
// same shapes as the `Value` helpers, keys in Keygen's order.

/// A `/v1/accounts/<account>/<segments…>` path, written as it is serialized.
#[derive(Debug, Clone, Copy)]
pub struct Href<'a> {
    /// The account id.
    pub account: &'a str,
    /// Path segments after the account; empty ones are skipped.
    pub segments: [&'a str; 3],
}

impl std::fmt::Display for Href<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "/v1/accounts/{}", self.account)?;
        for segment in self.segments.iter().filter(|s| !s.is_empty()) {
            write!(f, "/{segment}")?;
        }
        Ok(())
    }
}

impl Serialize for Href<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// A stored unix-ms timestamp as Keygen's ISO-8601 string, or null ([`ts`]).
#[derive(Debug, Clone, Copy)]
pub struct Time(pub Option<i64>);

impl Serialize for Time {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.0.and_then(latchkey_proto::time_format::from_millis) {
            Some(at) => serializer.serialize_str(&latchkey_proto::time_format::format(at)),
            None => serializer.serialize_none(),
        }
    }
}

/// Stored JSON text, written as stored once it parses (`{}` if unreadable: [`json_text`]).
#[derive(Debug, Clone, Copy)]
pub struct StoredJson<'a>(pub &'a str);

impl Serialize for StoredJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match serde_json::from_str::<&serde_json::value::RawValue>(self.0) {
            Ok(raw) => raw.serialize(serializer),
            Err(_) => serializer.serialize_map(Some(0))?.end(),
        }
    }
}

/// `{ "related": href }`.
#[derive(Debug, Serialize)]
struct Related<'a> {
    related: Href<'a>,
}

/// `{ "type": kind, "id": id }`.
#[derive(Debug, Serialize)]
pub struct Linkage<'a> {
    /// The resource type.
    #[serde(rename = "type")]
    pub kind: &'a str,
    /// Its id.
    pub id: &'a str,
}

/// The account relationship ([`account_rel`]).
#[derive(Debug)]
pub struct AccountRel<'a>(pub &'a str);

impl Serialize for AccountRel<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(2))?;
        map.serialize_entry(
            "links",
            &Related {
                related: Href {
                    account: self.0,
                    segments: ["", "", ""],
                },
            },
        )?;
        map.serialize_entry(
            "data",
            &Linkage {
                kind: "accounts",
                id: self.0,
            },
        )?;
        map.end()
    }
}

/// A relationship of the resource `own` (`kind`/`id`) named `name`: its related link,
/// then linkage (to-one: [`to_one`]) or `meta` (counted to-many), or neither
/// (to-many: [`to_many`]).
#[derive(Debug)]
pub struct Relation<'a, M = ()> {
    /// The related link.
    pub related: Href<'a>,
    /// What follows the link.
    pub then: RelationBody<'a, M>,
}

/// What a [`Relation`] carries after its link.
#[derive(Debug)]
pub enum RelationBody<'a, M> {
    /// To-one linkage (`data`, null when absent).
    ToOne(Option<Linkage<'a>>),
    /// A to-many relationship, linked only.
    ToMany,
    /// A to-many relationship with `meta`.
    Counted(M),
}

impl<'a> Relation<'a> {
    /// A to-one relationship with linkage.
    pub fn to_one(
        account: &'a str,
        own: (&'a str, &'a str),
        name: &'a str,
        kind: &'a str,
        id: Option<&'a str>,
    ) -> Self {
        Self {
            related: Href {
                account,
                segments: [own.0, own.1, name],
            },
            then: RelationBody::ToOne(id.map(|id| Linkage { kind, id })),
        }
    }

    /// A to-many relationship, linked only.
    pub fn to_many(account: &'a str, own: (&'a str, &'a str), name: &'a str) -> Self {
        Self {
            related: Href {
                account,
                segments: [own.0, own.1, name],
            },
            then: RelationBody::ToMany,
        }
    }
}

impl<'a, M> Relation<'a, M> {
    /// A to-many relationship with `meta`.
    pub fn counted(account: &'a str, own: (&'a str, &'a str), name: &'a str, meta: M) -> Self {
        Self {
            related: Href {
                account,
                segments: [own.0, own.1, name],
            },
            then: RelationBody::Counted(meta),
        }
    }
}

impl<M: Serialize> Serialize for Relation<'_, M> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry(
            "links",
            &Related {
                related: self.related,
            },
        )?;
        match &self.then {
            RelationBody::ToOne(linkage) => map.serialize_entry("data", linkage)?,
            RelationBody::ToMany => {}
            RelationBody::Counted(meta) => map.serialize_entry("meta", meta)?,
        }
        map.end()
    }
}

/// The resource envelope ([`resource`]): id, type, attributes, relationships, links.
#[derive(Debug)]
pub struct Resource<'a, A, R> {
    /// The account id.
    pub account: &'a str,
    /// The resource type.
    pub kind: &'a str,
    /// Its id.
    pub id: &'a str,
    /// Its attributes.
    pub attributes: A,
    /// Its relationships.
    pub relationships: R,
}

/// `{ "self": href }`.
#[derive(Debug, Serialize)]
struct SelfLink<'a> {
    #[serde(rename = "self")]
    own: Href<'a>,
}

impl<A: Serialize, R: Serialize> Serialize for Resource<'_, A, R> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(5))?;
        map.serialize_entry("id", self.id)?;
        map.serialize_entry("type", self.kind)?;
        map.serialize_entry("attributes", &self.attributes)?;
        map.serialize_entry("relationships", &self.relationships)?;
        map.serialize_entry(
            "links",
            &SelfLink {
                own: Href {
                    account: self.account,
                    segments: [self.kind, self.id, ""],
                },
            },
        )?;
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use latchkey_store::accounts::AccountRow;
    use std::sync::Arc;

    fn account() -> Account {
        let row: AccountRow = serde_json::from_value(json!({
            "id": "acct-1", "slug": "a", "name": "A", "protected": false,
            "ed25519_public": "", "ed25519_private": "", "ecdsa_public": "",
            "ecdsa_private": "", "rsa_public": "", "rsa_private": "",
            "created_at": 0, "updated_at": 0,
        }))
        .expect("account row");
        Account(Arc::new(row))
    }

    fn value(typed: impl Serialize) -> Value {
        serde_json::to_value(typed).expect("serializes")
    }

    #[test]
    fn typed_helpers_render_what_the_value_helpers_render() {
        let account = account();
        let a = account.id();
        let own = ("licenses", "lic-1");
        assert_eq!(value(AccountRel(a)), account_rel(&account));
        assert_eq!(
            value(Relation::to_one(
                a,
                own,
                "policy",
                "policies",
                Some("pol-1")
            )),
            to_one(
                &account,
                "licenses/lic-1",
                "policy",
                "policies",
                Some("pol-1")
            )
        );
        assert_eq!(
            value(Relation::to_one(a, own, "group", "groups", None)),
            to_one(&account, "licenses/lic-1", "group", "groups", None)
        );
        assert_eq!(
            value(Relation::to_many(a, own, "tokens")),
            to_many(&account, "licenses/lic-1", "tokens")
        );
        let mut counted = to_many(&account, "licenses/lic-1", "users");
        counted["meta"] = json!({ "count": 2 });
        assert_eq!(
            value(Relation::counted(a, own, "users", json!({ "count": 2 }))),
            counted
        );
        assert_eq!(
            value(Resource {
                account: a,
                kind: "licenses",
                id: "lic-1",
                attributes: json!({ "k": 1 }),
                relationships: json!({}),
            }),
            resource(&account, "licenses", "lic-1", json!({ "k": 1 }), json!({}))
        );
        for at in [None, Some(0), Some(1_764_000_000_123), Some(i64::MAX)] {
            assert_eq!(value(Time(at)), ts(at));
        }
        for stored in ["{}", r#"{"a":[1,{"b":null}]}"#, "not json", "", "{\"a\":"] {
            assert_eq!(value(StoredJson(stored)), json_text(stored));
        }
    }

    #[test]
    fn stored_json_is_written_as_stored() {
        let bytes = serde_json::to_vec(&StoredJson(r#"{"b":1,"a":"\u00e9"}"#)).expect("bytes");
        assert_eq!(bytes, br#"{"b":1,"a":"\u00e9"}"#);
        let bytes = serde_json::to_vec(&StoredJson("[1,")).expect("bytes");
        assert_eq!(bytes, b"{}");
    }

    #[test]
    fn hrefs_skip_empty_segments() {
        let href = Href {
            account: "acct",
            segments: ["licenses", "id", ""],
        };
        assert_eq!(href.to_string(), "/v1/accounts/acct/licenses/id");
        let bytes = serde_json::to_vec(&href).expect("bytes");
        assert_eq!(bytes, br#""/v1/accounts/acct/licenses/id""#);
    }
}
