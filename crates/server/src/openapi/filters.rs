//! The filter query parameters of the top-level lists, as their handlers read them
//! (`api::v1::*::index`). Bracketed families (`metadata[key]`, `expires[before]`,
//! `date[start]`, `resource[type]`) are `deepObject` parameters.

use serde_json::{Value, json};

/// A filter: its name and whether it is a bracketed family.
type Filter = (&'static str, Kind);

#[derive(Clone, Copy)]
enum Kind {
    /// `name=value`.
    Plain,
    /// `name=true|false`.
    Flag,
    /// `name[key]=value`, any keys.
    Object,
    /// `name[key]=value` with the keys listed.
    Keys(&'static [&'static str]),
}

use Kind::*;

const METADATA: Filter = ("metadata", Object);
const OWNERSHIP: [Filter; 5] = [
    ("product", Plain),
    ("license", Plain),
    ("machine", Plain),
    ("owner", Plain),
    ("user", Plain),
];
const LOG_DATES: Filter = ("date", Keys(&["start", "end"]));

const FILTERS: &[(&str, &[Filter])] = &[
    (
        "/v1/licenses",
        &[
            ("product", Plain),
            ("policy", Plain),
            ("owner", Plain),
            ("group", Plain),
            ("user", Plain),
            ("machine", Plain),
            ("suspended", Flag),
            ("status", Plain),
            ("expired", Flag),
            ("unassigned", Flag),
            ("assigned", Flag),
            ("activated", Flag),
            ("expires", Keys(&["within", "in", "before", "after"])),
            ("activity", Keys(&["inside", "outside", "before", "after"])),
            ("activations", Keys(&["eq", "gt", "gte", "lt", "lte"])),
            METADATA,
        ],
    ),
    (
        "/v1/machines",
        &[
            ("fingerprint", Plain),
            ("group", Plain),
            ("hostname", Plain),
            ("ip", Plain),
            ("key", Plain),
            ("policy", Plain),
            OWNERSHIP[0],
            OWNERSHIP[1],
            OWNERSHIP[3],
            OWNERSHIP[4],
            METADATA,
        ],
    ),
    ("/v1/components", &OWNERSHIP),
    ("/v1/processes", &OWNERSHIP),
    ("/v1/keys", &[("policy", Plain), ("product", Plain)]),
    ("/v1/policies", &[("product", Plain)]),
    ("/v1/packages", &[("engine", Plain), ("product", Plain)]),
    (
        "/v1/releases",
        &[
            ("channel", Plain),
            ("engine", Plain),
            ("package", Plain),
            ("product", Plain),
            ("status", Plain),
            ("version", Plain),
            ("yanked", Flag),
            METADATA,
        ],
    ),
    (
        "/v1/users",
        &[
            ("assigned", Flag),
            ("group", Plain),
            ("license", Plain),
            ("product", Plain),
            ("roles", Plain),
            ("status", Plain),
            METADATA,
        ],
    ),
    ("/v1/groups", &[METADATA]),
    ("/v1/entitlements", &[METADATA]),
    ("/v1/channels", &[("product", Plain)]),
    ("/v1/platforms", &[("product", Plain)]),
    ("/v1/arches", &[("product", Plain)]),
    ("/v1/engines", &[("product", Plain)]),
    (
        "/v1/event-logs",
        &[
            ("event", Plain),
            ("events", Plain),
            ("request", Plain),
            ("resource", Keys(&["type", "id"])),
            ("whodunnit", Keys(&["type", "id"])),
            LOG_DATES,
        ],
    ),
    (
        "/v1/request-logs",
        &[
            ("ip", Plain),
            ("method", Plain),
            ("request", Plain),
            ("status", Plain),
            ("requestor", Keys(&["type", "id"])),
            ("resource", Keys(&["type", "id"])),
            LOG_DATES,
        ],
    ),
    (
        "/v1/webhook-events",
        &[
            ("endpoint", Plain),
            ("event", Plain),
            ("events", Plain),
            ("status", Plain),
        ],
    ),
];

/// The filter parameters of the list at `path` (none for other paths).
pub fn parameters(path: &str) -> Vec<Value> {
    let Some((_, filters)) = FILTERS.iter().find(|(p, _)| *p == path) else {
        return Vec::new();
    };
    filters
        .iter()
        .map(|(name, kind)| {
            let schema = match kind {
                Plain => json!({ "type": "string" }),
                Flag => json!({ "type": "string", "enum": ["true", "false"] }),
                Object => json!({
                    "type": "object",
                    "additionalProperties": { "type": "string" },
                }),
                Keys(keys) => {
                    let properties: serde_json::Map<String, Value> = keys
                        .iter()
                        .map(|k| ((*k).to_owned(), json!({ "type": "string" })))
                        .collect();
                    json!({ "type": "object", "properties": properties, "additionalProperties": false })
                }
            };
            let mut parameter = json!({
                "name": name, "in": "query", "required": false,
                "description": "Filter",
                "schema": schema,
            });
            if matches!(kind, Object | Keys(_)) {
                parameter["style"] = json!("deepObject");
                parameter["explode"] = json!(true);
            }
            parameter
        })
        .collect()
}

/// The lists with filters (for the test that each names a routed list).
#[cfg(test)]
pub fn paths() -> impl Iterator<Item = &'static str> {
    FILTERS.iter().map(|(path, _)| *path)
}
