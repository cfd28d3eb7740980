//! Query parameters: Keygen's bracketed `page[number]`, `bearer[type]`,
//! `metadata[key]` forms, pagination (§5.3) and list links.

use crate::error::{ApiError, ApiResult};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use latchkey_proto::ErrorCode;
use latchkey_store::page::{Order, Page};
use serde_json::{Value, json};

/// Decoded query parameters, in order.
#[derive(Debug, Clone, Default)]
pub struct QueryParams {
    pairs: Vec<(String, String)>,
    path: String,
}

impl<S: Send + Sync> FromRequestParts<S> for QueryParams {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> ApiResult<Self> {
        let raw = parts.uri.query().unwrap_or("");
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(raw).map_err(|_| {
            ApiError::bad_request("The query string is malformed").code(ErrorCode::UriInvalid)
        })?;
        let path = parts
            .extensions
            .get::<crate::account::OriginalPath>()
            .map(|p| p.0.clone())
            .unwrap_or_else(|| parts.uri.path().to_owned());
        Ok(Self { pairs, path })
    }
}

impl QueryParams {
    /// The last value of `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// All values of `name` and `name[]`.
    pub fn all(&self, name: &str) -> Vec<&str> {
        let bracket = format!("{name}[]");
        self.pairs
            .iter()
            .filter(|(k, _)| *k == name || *k == bracket)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// `metadata[key]=value` pairs.
    pub fn prefixed(&self, prefix: &str) -> Vec<(&str, &str)> {
        self.pairs
            .iter()
            .filter_map(|(k, v)| {
                let inner = k
                    .strip_prefix(prefix)?
                    .strip_prefix('[')?
                    .strip_suffix(']')?;
                Some((inner, v.as_str()))
            })
            .collect()
    }

    fn integer(&self, name: &str, min: i64, max: i64) -> ApiResult<Option<i64>> {
        match self.get(name) {
            None => Ok(None),
            Some(text) => match text.parse::<i64>() {
                Ok(n) if (min..=max).contains(&n) => Ok(Some(n)),
                _ => Err(ApiError::bad_request(format!(
                    "{name} must be a number between {min} and {max}"
                ))
                .code(ErrorCode::ParametersInvalid)
                .parameter(name)),
            },
        }
    }

    /// Parses `limit`, `page[…]` and `order`.
    pub fn pagination(&self) -> ApiResult<(Page, Order)> {
        let order = match self.get("order") {
            None => Order::Desc,
            Some(o) if o.eq_ignore_ascii_case("desc") => Order::Desc,
            Some(o) if o.eq_ignore_ascii_case("asc") => Order::Asc,
            Some(_) => {
                return Err(ApiError::bad_request("order is invalid")
                    .code(ErrorCode::ParametersInvalid)
                    .parameter("order"));
            }
        };
        let limit = self.integer("limit", 1, 100)?.unwrap_or(10);
        let has_page = self
            .pairs
            .iter()
            .any(|(k, _)| k == "page" || k.starts_with("page["));
        if !has_page {
            return Ok((Page::Limit(limit), order));
        }
        if let Some((key, _)) = self.pairs.iter().find(|(k, _)| {
            k.starts_with("page")
                && !matches!(k.as_str(), "page[number]" | "page[size]" | "page[cursor]")
        }) {
            return Err(ApiError::bad_request(
                "page must be an object with number or cursor, and size",
            )
            .code(ErrorCode::ParametersInvalid)
            .parameter(key.clone()));
        }
        let size = self.integer("page[size]", 1, 100)?.unwrap_or(limit);
        if let Some(cursor) = self.get("page[cursor]") {
            let after = if cursor.is_empty() {
                None
            } else if uuid::Uuid::parse_str(cursor).is_ok() {
                Some(cursor.to_owned())
            } else {
                return Err(ApiError::bad_request("page[cursor] must be a UUID")
                    .code(ErrorCode::ParametersInvalid)
                    .parameter("page[cursor]"));
            };
            return Ok((Page::Cursor { after, size }, order));
        }
        match self.integer("page[number]", 1, 100)? {
            Some(number) => Ok((Page::Offset { number, size }, order)),
            None => Err(ApiError::bad_request(
                "page must be an object with number or cursor, and size",
            )
            .code(ErrorCode::ParametersInvalid)
            .parameter("page")),
        }
    }

    /// `{ "data": [...], "links": ... }` of one page of `rows` (`count`: the total,
    /// when counted), each rendered with `render`.
    pub fn page_document<R>(
        &self,
        page: &Page,
        (rows, count): (Vec<R>, Option<i64>),
        render: impl Fn(&R) -> Value,
        id: impl Fn(&R) -> &str,
    ) -> super::Document {
        let data: Vec<Value> = rows.iter().map(render).collect();
        let (links, _) = self.list_links(page, count, rows.last().map(id));
        super::Document::ok(json!({ "data": data, "links": links }))
    }

    /// `links` (and `meta`) for a list response.
    pub fn list_links(
        &self,
        page: &Page,
        count: Option<i64>,
        last_id: Option<&str>,
    ) -> (Value, Option<Value>) {
        let base_pairs: Vec<(&str, &str)> = self
            .pairs
            .iter()
            .filter(|(k, _)| !k.starts_with("page") && k != "token" && k != "auth")
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let link = |extra: Vec<(String, String)>| {
            let mut pairs: Vec<(String, String)> = base_pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect();
            pairs.extend(extra);
            let query = serde_urlencoded::to_string(&pairs).unwrap_or_default();
            if query.is_empty() {
                self.path.clone()
            } else {
                format!("{}?{query}", self.path)
            }
        };
        match page {
            Page::Limit(_) => (json!({ "self": link(vec![]) }), None),
            Page::Offset { number, size } => {
                let count = count.unwrap_or(0);
                let pages = ((count + size - 1) / size).max(1);
                let at = |n: i64| {
                    link(vec![
                        ("page[number]".into(), n.to_string()),
                        ("page[size]".into(), size.to_string()),
                    ])
                };
                let links = json!({
                    "self": at(*number),
                    "prev": if *number > 1 { Value::String(at(number - 1)) } else { Value::Null },
                    "next": if *number < pages { Value::String(at(number + 1)) } else { Value::Null },
                    "first": at(1),
                    "last": at(pages),
                    "meta": { "pages": pages, "count": count },
                });
                (links, None)
            }
            Page::Cursor { after, size } => {
                let at = |cursor: Option<&str>| {
                    link(vec![
                        ("page[cursor]".into(), cursor.unwrap_or("").to_owned()),
                        ("page[size]".into(), size.to_string()),
                    ])
                };
                (
                    json!({ "self": at(after.as_deref()), "next": last_id.map(|id| at(Some(id))) }),
                    None,
                )
            }
        }
    }
}
