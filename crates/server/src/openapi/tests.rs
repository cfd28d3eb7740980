use super::catalog::OPERATIONS;
use crate::api::v1::routes::route_list;
use std::collections::BTreeSet;

#[test]
fn every_route_has_an_operation_and_every_operation_a_route() {
    let routes: BTreeSet<(String, String)> = route_list()
        .into_iter()
        .map(|r| (r.method, r.path.to_owned()))
        .collect();
    let operations: BTreeSet<(String, String)> = OPERATIONS
        .iter()
        .map(|op| (op.method.to_owned(), op.path.to_owned()))
        .collect();
    let undocumented: Vec<_> = routes.difference(&operations).collect();
    let unrouted: Vec<_> = operations.difference(&routes).collect();
    assert!(
        undocumented.is_empty(),
        "routes without an OpenAPI operation: {undocumented:?}"
    );
    assert!(
        unrouted.is_empty(),
        "OpenAPI operations without a route: {unrouted:?}"
    );
    assert_eq!(
        OPERATIONS.len(),
        operations.len(),
        "an operation is listed twice"
    );
}

#[test]
fn the_document_has_both_url_forms_and_unique_operation_ids() {
    let doc = serde_json::to_value(super::document().expect("document")).expect("json");
    assert_eq!(doc["openapi"], "3.1.0");
    let paths = doc["paths"].as_object().expect("paths");
    let mut ids = BTreeSet::new();
    for op in OPERATIONS {
        let method = op.method.to_ascii_lowercase();
        for (path, _) in super::forms(op.path) {
            let operation = &paths[&path][&method];
            let id = operation["operationId"].as_str().expect("operationId");
            assert!(ids.insert(id.to_owned()), "operation id {id} twice");
        }
    }
    let outside_v1 = OPERATIONS
        .iter()
        .filter(|op| !op.path.starts_with("/v1/"))
        .count();
    assert_eq!(outside_v1, 1, "only /metrics lives outside /v1");
    assert_eq!(ids.len(), OPERATIONS.len() * 2 - outside_v1);
    assert!(paths.contains_key("/metrics"));
    assert!(!paths.contains_key("/v1/accounts/{account}/metrics"));
    let validate = &paths["/v1/accounts/{account}/licenses/actions/validate-key"]["post"];
    assert_eq!(
        validate["parameters"][0]["$ref"],
        "#/components/parameters/account"
    );
}

#[test]
fn enums_come_from_proto_and_core() {
    let doc = serde_json::to_value(super::document().expect("document")).expect("json");
    let schemas = &doc["components"]["schemas"];
    let codes = schemas["ValidationCode"]["enum"].as_array().expect("enum");
    assert_eq!(
        codes.len(),
        latchkey_proto::codes::ValidationCode::ALL.len()
    );
    assert!(codes.iter().any(|c| c == "FINGERPRINT_SCOPE_MISMATCH"));
    let errors = schemas["ErrorCode"]["enum"].as_array().expect("enum");
    assert_eq!(errors.len(), latchkey_proto::ErrorCode::ALL.len());
    let expiration = schemas["ExpirationStrategy"]["enum"]
        .as_array()
        .expect("enum");
    assert!(expiration.iter().any(|c| c == "RESTRICT_ACCESS"));
    for scheme in ["bearer", "license", "basic"] {
        assert!(
            doc["components"]["securitySchemes"][scheme].is_object(),
            "{scheme}"
        );
    }
}

#[test]
fn the_committed_markdown_reference_is_current() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/api.md");
    let rendered = super::markdown::render().expect("render");
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        committed == rendered,
        "docs/api.md is stale: run `cargo run --bin latchkey -- openapi --markdown > docs/api.md`"
    );
}

#[test]
fn every_filtered_path_is_a_routed_list() {
    for path in super::filters::paths() {
        assert!(
            OPERATIONS.iter().any(|op| op.path == path
                && op.method == "GET"
                && matches!(op.shape, super::Shape::Many(_))),
            "filters documented for {path}, which is not a list"
        );
    }
}
