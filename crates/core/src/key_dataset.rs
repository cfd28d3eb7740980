//! The dataset a cryptographic license key embeds (Keygen §8, seed 004): Keygen's default
//! datasets per scheme, and `{{template}}` substitution in a vendor-supplied dataset.
//! Member order is Keygen's, so vendors decoding a key see the same JSON text.

use latchkey_proto::offline::Scheme;
use latchkey_proto::time_format::format;
use serde_json::Value;
use time::OffsetDateTime;

/// What a dataset may mention about the license being created.
#[derive(Debug, Clone)]
pub struct KeyFacts<'a> {
    /// Account id.
    pub account: &'a str,
    /// Product id.
    pub product: &'a str,
    /// Policy id.
    pub policy: &'a str,
    /// Owner `(id, email)`, if any.
    pub owner: Option<(&'a str, &'a str)>,
    /// License id.
    pub license: &'a str,
    /// Creation time.
    pub created: OffsetDateTime,
    /// Expiry, if the license expires.
    pub expiry: Option<OffsetDateTime>,
    /// The policy's duration in seconds, if any.
    pub duration: Option<i64>,
}

fn text(value: &str) -> String {
    Value::String(value.to_owned()).to_string()
}

fn time_or_null(at: Option<OffsetDateTime>) -> String {
    at.map(|at| text(&format(at)))
        .unwrap_or_else(|| "null".into())
}

fn number_or_null(n: Option<i64>) -> String {
    n.map(|n| n.to_string()).unwrap_or_else(|| "null".into())
}

/// Keygen's default dataset for `scheme`; `jwt_id` is the `jti` of JWT claims.
pub fn default_dataset(scheme: Scheme, facts: &KeyFacts<'_>, jwt_id: &str) -> String {
    match scheme {
        Scheme::Rsa2048Pkcs1Encrypt => format!(
            r#"{{"id":{},"created":{},"expiry":{},"duration":{}}}"#,
            text(facts.license),
            text(&format(facts.created)),
            time_or_null(facts.expiry),
            number_or_null(facts.duration),
        ),
        Scheme::Rsa2048JwtRs256 => {
            let issued = facts.created.unix_timestamp();
            let expiry = facts
                .expiry
                .map(|at| format!(r#","exp":{}"#, at.unix_timestamp()))
                .unwrap_or_default();
            format!(
                r#"{{"jti":{},"iss":"https://keygen.sh","aud":{},"sub":{},"iat":{issued},"nbf":{issued}{expiry}}}"#,
                text(jwt_id),
                text(facts.account),
                text(facts.license),
            )
        }
        _ => {
            let user = facts
                .owner
                .map(|(id, email)| format!(r#"{{"id":{},"email":{}}}"#, text(id), text(email)))
                .unwrap_or_else(|| "null".into());
            format!(
                r#"{{"account":{{"id":{}}},"product":{{"id":{}}},"policy":{{"id":{},"duration":{}}},"user":{user},"license":{{"id":{},"created":{},"expiry":{}}}}}"#,
                text(facts.account),
                text(facts.product),
                text(facts.policy),
                number_or_null(facts.duration),
                text(facts.license),
                text(&format(facts.created)),
                time_or_null(facts.expiry),
            )
        }
    }
}

/// Replaces `{{account}}`, `{{product}}`, `{{policy}}`, `{{user}}`, `{{email}}`,
/// `{{created}}`, `{{expiry}}`, `{{duration}}` and `{{id}}` (whitespace inside the braces
/// allowed). Absent values become empty strings; unknown names are left untouched.
pub fn render_template(template: &str, facts: &KeyFacts<'_>) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else {
            rest = &rest[start..];
            break;
        };
        match variable(after[..end].trim(), facts) {
            Some(value) => out.push_str(&value),
            None => out.push_str(&rest[start..start + 2 + end + 2]),
        }
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    out
}

fn variable(name: &str, facts: &KeyFacts<'_>) -> Option<String> {
    Some(match name {
        "account" => facts.account.to_owned(),
        "product" => facts.product.to_owned(),
        "policy" => facts.policy.to_owned(),
        "user" => facts.owner.map(|(id, _)| id.to_owned()).unwrap_or_default(),
        "email" => facts
            .owner
            .map(|(_, email)| email.to_owned())
            .unwrap_or_default(),
        "created" => format(facts.created),
        "expiry" => facts.expiry.map(format).unwrap_or_default(),
        "duration" => facts.duration.map(|d| d.to_string()).unwrap_or_default(),
        "id" => facts.license.to_owned(),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn facts(owner: Option<(&'static str, &'static str)>) -> KeyFacts<'static> {
        KeyFacts {
            account: "acct",
            product: "prod",
            policy: "pol",
            owner,
            license: "lic",
            created: datetime!(2021-03-22 12:46:18.217 UTC),
            expiry: Some(datetime!(2022-03-22 12:46:18.217 UTC)),
            duration: Some(31_556_952),
        }
    }

    #[test]
    fn signed_default_dataset_matches_keygen_layout() {
        let dataset = default_dataset(Scheme::Ed25519Sign, &facts(None), "j");
        assert_eq!(
            dataset,
            r#"{"account":{"id":"acct"},"product":{"id":"prod"},"policy":{"id":"pol","duration":31556952},"user":null,"license":{"id":"lic","created":"2021-03-22T12:46:18.217Z","expiry":"2022-03-22T12:46:18.217Z"}}"#
        );
        let owned = default_dataset(Scheme::EcdsaP256Sign, &facts(Some(("u", "a@b.c"))), "j");
        assert!(owned.contains(r#""user":{"id":"u","email":"a@b.c"}"#));
    }

    #[test]
    fn encrypt_and_jwt_default_datasets() {
        let mut f = facts(None);
        assert_eq!(
            default_dataset(Scheme::Rsa2048Pkcs1Encrypt, &f, "j"),
            r#"{"id":"lic","created":"2021-03-22T12:46:18.217Z","expiry":"2022-03-22T12:46:18.217Z","duration":31556952}"#
        );
        assert_eq!(
            default_dataset(Scheme::Rsa2048JwtRs256, &f, "jti-1"),
            r#"{"jti":"jti-1","iss":"https://keygen.sh","aud":"acct","sub":"lic","iat":1616417178,"nbf":1616417178,"exp":1647953178}"#
        );
        f.expiry = None;
        assert!(!default_dataset(Scheme::Rsa2048JwtRs256, &f, "j").contains("exp"));
    }

    #[test]
    fn templates_substitute_known_variables_only() {
        let rendered = render_template(
            r#"{ "id": "{{id}}", "issued": "{{ created }}", "expires": "{{expiry}}", "who": "{{email}}", "x": "{{nope}}" }"#,
            &facts(None),
        );
        assert_eq!(
            rendered,
            r#"{ "id": "lic", "issued": "2021-03-22T12:46:18.217Z", "expires": "2022-03-22T12:46:18.217Z", "who": "", "x": "{{nope}}" }"#
        );
        assert_eq!(render_template("tail {{id", &facts(None)), "tail {{id");
    }
}
