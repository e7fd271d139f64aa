//! The two inputs of `azpls doctor`, read from JSON as the tools print them: service connections
//! (`az devops service-endpoint show` / `list`, or the REST API, whose lists are wrapped in
//! `{"count", "value"}`) and federated credentials (`az ad app federated-credential list`, `az
//! identity federated-credential list`, or the Graph and ARM APIs, which wrap lists in `value` and
//! may nest fields under `properties`). Either may be one object or a list.
//!
//! Input is untrusted: a value of the wrong type or a missing field is an error that names the
//! field by its path in the file (`[1].audiences`), never a panic, and lists are capped.

use serde_json::{Map, Value};

/// At most this many items per file: the checks compare every connection with every credential.
pub const MAX_ITEMS: usize = 1000;

/// The authentication scheme of a federated connection, as Azure DevOps writes it.
pub const FEDERATED_SCHEME: &str = "WorkloadIdentityFederation";

/// A service connection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Connection {
    /// The path of the item in its file (`[2].`), empty for a file holding one object.
    pub at: String,
    pub name: Option<String>,
    pub id: Option<String>,
    /// `authorization.scheme`.
    pub scheme: String,
    /// The federation parameters, for the federated scheme only.
    pub federated: Option<Federated>,
    /// `data.environment` (`AzureCloud`, `AzureUSGovernment` …), when given.
    pub environment: Option<String>,
}

/// `authorization.parameters` of a federated connection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Federated {
    pub issuer: String,
    pub subject: String,
    pub tenant_id: String,
    /// `serviceprincipalid`: the application (client) id of the identity.
    pub client_id: String,
}

/// Field paths of a connection, for messages.
pub const ISSUER_FIELD: &str = "authorization.parameters.workloadIdentityFederationIssuer";
pub const SUBJECT_FIELD: &str = "authorization.parameters.workloadIdentityFederationSubject";
pub const TENANT_FIELD: &str = "authorization.parameters.tenantid";
pub const SCHEME_FIELD: &str = "authorization.scheme";

impl Connection {
    /// The connection as people know it: its name, else its id, else its place in the file.
    pub fn label(&self) -> String {
        label(self.name.as_deref().or(self.id.as_deref()), &self.at)
    }

    /// The path of one of its fields (`[2].authorization.scheme`).
    pub fn path(&self, field: &str) -> String {
        format!("{}{field}", self.at)
    }
}

/// A name, else the item's place in its file (`[2]`), else "(unnamed)".
fn label(name: Option<&str>, at: &str) -> String {
    let item = at.trim_end_matches('.').trim_end_matches(".properties");
    match name {
        Some(name) => name.to_string(),
        None if item.is_empty() => "(unnamed)".to_string(),
        None => item.to_string(),
    }
}

/// A federated identity credential.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Credential {
    /// The path of its fields in the file (`[1].`, `value[1].properties.`).
    pub at: String,
    pub name: Option<String>,
    pub issuer: String,
    /// `None` for a credential that matches subjects with a `claimsMatchingExpression`.
    pub subject: Option<String>,
    pub audiences: Vec<String>,
    /// The managed identity it belongs to, from its ARM id; `None` for an app registration's.
    pub identity: Option<ManagedIdentity>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ManagedIdentity {
    pub name: String,
    pub resource_group: String,
}

impl Credential {
    /// The credential as people know it: its name, else its place in the file.
    pub fn label(&self) -> String {
        label(self.name.as_deref(), &self.at)
    }

    /// The path of one of its fields (`[1].subject`).
    pub fn path(&self, field: &str) -> String {
        format!("{}{field}", self.at)
    }
}

/// An object of a file, with the path prefix of its fields (`[2].`).
type Item<'v> = (String, &'v Map<String, Value>);

/// The items of a file: a list, an object wrapping a list in `value`, or one object.
fn items<'v>(value: &'v Value, what: &str) -> Result<Vec<Item<'v>>, String> {
    let (list, prefix) = match value {
        Value::Array(list) => (list, ""),
        Value::Object(o) => match o.get("value") {
            Some(Value::Array(list)) => (list, "value"),
            _ => return Ok(vec![(String::new(), o)]),
        },
        other => {
            return Err(format!(
                "holds {}, not {what} (an object or a list of them)",
                kind(other)
            ));
        }
    };
    if list.len() > MAX_ITEMS {
        return Err(format!(
            "holds {} items; azpls doctor reads at most {MAX_ITEMS}",
            list.len()
        ));
    }
    list.iter()
        .enumerate()
        .map(|(i, item)| match item {
            Value::Object(o) => Ok((format!("{prefix}[{i}]."), o)),
            other => Err(format!("{prefix}[{i}] is {}, not {what}", kind(other))),
        })
        .collect()
}

/// "a number", "a list" …: what a JSON value is, for messages.
fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// A string field: `None` when absent or null, an error naming its path when of another type.
fn string<'v>(
    object: &'v Map<String, Value>,
    key: &str,
    path: &str,
) -> Result<Option<&'v str>, String> {
    match object.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(other) => Err(format!("{path}{key} is {}, not a string", kind(other))),
    }
}

/// A field of `authorization.parameters`, whose keys Azure DevOps treats in any case.
fn parameter<'v>(
    parameters: &'v Map<String, Value>,
    key: &str,
    path: &str,
) -> Result<Option<&'v str>, String> {
    match parameters.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)) {
        None => Ok(None),
        Some((k, _)) => string(parameters, k, path),
    }
}

const CONNECTION_EXPORT: &str = "what `az devops service-endpoint show` prints";
const CREDENTIAL_EXPORT: &str =
    "what `az ad app federated-credential list` or `az identity federated-credential list` prints";

/// The service connections of a file.
pub fn connections(value: &Value) -> Result<Vec<Connection>, String> {
    let items = items(value, "a service connection")?;
    if items.is_empty() {
        return Err("holds no service connection".to_string());
    }
    items
        .into_iter()
        .map(|(at, o)| connection(&at, o))
        .collect()
}

fn connection(at: &str, o: &Map<String, Value>) -> Result<Connection, String> {
    let place = if at.is_empty() {
        "it".to_string()
    } else {
        at.trim_end_matches('.').to_string()
    };
    let authorization = match o.get("authorization") {
        Some(Value::Object(a)) => a,
        Some(other) => {
            return Err(format!(
                "{at}authorization is {}, not an object",
                kind(other)
            ));
        }
        None if o.contains_key("issuer") && o.contains_key("subject") => {
            return Err(format!(
                "this looks like federated credentials, not a service connection ({place} has \"issuer\" and \"subject\"); pass it with --credentials"
            ));
        }
        None => {
            return Err(format!(
                "not a service connection: {place} has no \"authorization\" (expected {CONNECTION_EXPORT})"
            ));
        }
    };
    let auth_path = format!("{at}authorization.");
    let scheme = string(authorization, "scheme", &auth_path)?.ok_or_else(|| {
        format!("{at}authorization has no \"scheme\" (expected {CONNECTION_EXPORT})")
    })?;
    let data = match o.get("data") {
        Some(Value::Object(d)) => Some(d),
        _ => None,
    };
    let environment = match data {
        Some(d) => string(d, "environment", &format!("{at}data."))?.map(str::to_string),
        None => None,
    };
    let federated = if scheme.eq_ignore_ascii_case(FEDERATED_SCHEME) {
        let parameters = match authorization.get("parameters") {
            Some(Value::Object(p)) => p,
            Some(other) => {
                return Err(format!(
                    "{at}authorization.parameters is {}, not an object",
                    kind(other)
                ));
            }
            None => {
                return Err(format!(
                    "{at}authorization has no \"parameters\", which a connection with scheme {FEDERATED_SCHEME} has (expected {CONNECTION_EXPORT})"
                ));
            }
        };
        let path = format!("{at}authorization.parameters.");
        let need = |key: &str| -> Result<String, String> {
            parameter(parameters, key, &path)?
                .map(str::to_string)
                .ok_or_else(|| {
                    format!(
                        "{at}authorization.parameters has no \"{key}\", which a connection with scheme {FEDERATED_SCHEME} has; export it again with `az devops service-endpoint show`"
                    )
                })
        };
        Some(Federated {
            issuer: need("workloadIdentityFederationIssuer")?,
            subject: need("workloadIdentityFederationSubject")?,
            tenant_id: need("tenantid")?,
            client_id: need("serviceprincipalid")?,
        })
    } else {
        None
    };
    Ok(Connection {
        at: at.to_string(),
        name: string(o, "name", at)?.map(str::to_string),
        id: string(o, "id", at)?.map(str::to_string),
        scheme: scheme.to_string(),
        federated,
        environment,
    })
}

/// The federated credentials of a file (an empty list is an identity without any).
pub fn credentials(value: &Value) -> Result<Vec<Credential>, String> {
    items(value, "a federated credential")?
        .into_iter()
        .map(|(at, o)| credential(&at, o))
        .collect()
}

fn credential(at: &str, o: &Map<String, Value>) -> Result<Credential, String> {
    let place = if at.is_empty() {
        "it".to_string()
    } else {
        at.trim_end_matches('.').to_string()
    };
    if o.contains_key("authorization") && !o.contains_key("issuer") {
        return Err(format!(
            "this looks like a service connection, not federated credentials ({place} has \"authorization\"); pass it with --connection"
        ));
    }
    // The ARM API nests a managed identity's credential under `properties`.
    let (fields, fields_at) = match (o.get("issuer"), o.get("properties")) {
        (None, Some(Value::Object(p))) if p.contains_key("issuer") => {
            (p, format!("{at}properties."))
        }
        _ => (o, at.to_string()),
    };
    let issuer = string(fields, "issuer", &fields_at)?.ok_or_else(|| {
        format!(
            "not a federated credential: {place} has no \"issuer\" (expected {CREDENTIAL_EXPORT})"
        )
    })?;
    let subject = string(fields, "subject", &fields_at)?;
    if subject.is_none() && fields.get("claimsMatchingExpression").is_none() {
        return Err(format!(
            "not a federated credential: {place} has no \"subject\" (expected {CREDENTIAL_EXPORT})"
        ));
    }
    let audiences = match fields.get("audiences") {
        Some(Value::Array(list)) => list
            .iter()
            .enumerate()
            .map(|(i, a)| match a {
                Value::String(s) => Ok(s.clone()),
                other => Err(format!(
                    "{fields_at}audiences[{i}] is {}, not a string",
                    kind(other)
                )),
            })
            .collect::<Result<Vec<_>, _>>()?,
        Some(other) => {
            return Err(format!(
                "{fields_at}audiences is {}, not a list of strings",
                kind(other)
            ));
        }
        None => {
            return Err(format!(
                "not a federated credential: {place} has no \"audiences\" (expected {CREDENTIAL_EXPORT})"
            ));
        }
    };
    let identity = string(o, "id", at)?.and_then(managed_identity);
    Ok(Credential {
        at: fields_at,
        name: string(o, "name", at)?.map(str::to_string),
        issuer: issuer.to_string(),
        subject: subject.map(str::to_string),
        audiences,
        identity,
    })
}

/// The identity of an ARM id
/// `/subscriptions/…/resourceGroups/<group>/providers/Microsoft.ManagedIdentity/userAssignedIdentities/<name>/federatedIdentityCredentials/…`.
fn managed_identity(id: &str) -> Option<ManagedIdentity> {
    let parts: Vec<&str> = id.split('/').collect();
    let after = |key: &str| {
        parts
            .iter()
            .position(|p| p.eq_ignore_ascii_case(key))
            .and_then(|i| parts.get(i + 1))
            .filter(|v| !v.is_empty())
            .map(|v| v.to_string())
    };
    Some(ManagedIdentity {
        name: after("userAssignedIdentities")?,
        resource_group: after("resourceGroups")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn sc(parameters: Value) -> Value {
        json!({
            "id": "5f6e1c2a-0000-4000-8000-000000000001",
            "name": "prod-sc",
            "type": "azurerm",
            "data": {"environment": "AzureCloud"},
            "authorization": {"scheme": "WorkloadIdentityFederation", "parameters": parameters}
        })
    }

    fn params() -> Value {
        json!({
            "serviceprincipalid": "app-1",
            "tenantid": "tenant-1",
            "workloadIdentityFederationIssuer": "https://vstoken.dev.azure.com/org-1",
            "workloadIdentityFederationSubject": "sc://contoso/web/prod-sc"
        })
    }

    #[test]
    fn a_connection_is_read_alone_in_a_list_or_in_a_rest_list() {
        let one = connections(&sc(params())).unwrap();
        assert_eq!(one.len(), 1);
        assert_eq!(one[0].at, "");
        assert_eq!(one[0].federated.as_ref().unwrap().tenant_id, "tenant-1");
        assert_eq!(one[0].environment.as_deref(), Some("AzureCloud"));
        let list = connections(&json!([sc(params()), sc(params())])).unwrap();
        assert_eq!(list[1].path(ISSUER_FIELD), format!("[1].{ISSUER_FIELD}"));
        let rest = connections(&json!({"count": 1, "value": [sc(params())]})).unwrap();
        assert_eq!(rest[0].at, "value[0].");
    }

    #[test]
    fn parameter_keys_are_read_in_any_case() {
        let p = json!({
            "ServicePrincipalId": "app-1",
            "TenantId": "tenant-1",
            "workloadidentityfederationissuer": "i",
            "WorkloadIdentityFederationSubject": "s"
        });
        assert_eq!(
            connections(&sc(p)).unwrap()[0]
                .federated
                .as_ref()
                .unwrap()
                .issuer,
            "i"
        );
    }

    #[test]
    fn a_secret_based_connection_has_no_federation_parameters() {
        let v = json!({"name": "old", "authorization": {"scheme": "ServicePrincipal", "parameters": {"tenantid": "t"}}});
        let c = &connections(&v).unwrap()[0];
        assert_eq!(
            (c.scheme.as_str(), c.federated.is_none()),
            ("ServicePrincipal", true)
        );
    }

    #[test]
    fn bad_connections_name_the_field_they_lack() {
        let err = |v: Value| connections(&v).unwrap_err();
        assert!(err(json!({"name": "x"})).contains("has no \"authorization\""));
        assert!(err(json!([])).contains("no service connection"));
        assert!(err(json!(3)).contains("a number, not a service connection"));
        assert!(err(json!([sc(params()), 4])).contains("[1] is a number"));
        let mut p = params();
        p.as_object_mut()
            .unwrap()
            .remove("workloadIdentityFederationSubject");
        assert!(err(sc(p)).contains("no \"workloadIdentityFederationSubject\""));
        let mut p = params();
        p["tenantid"] = json!(7);
        assert!(err(sc(p)).contains("authorization.parameters.tenantid is a number, not a string"));
        assert!(
            err(json!([{"issuer": "i", "subject": "s", "audiences": []}]))
                .contains("pass it with --credentials")
        );
        assert!(err(json!({"authorization": {}})).contains("no \"scheme\""));
        let many = Value::Array(vec![sc(params()); MAX_ITEMS + 1]);
        assert!(err(many).contains("at most"));
    }

    #[test]
    fn credentials_of_apps_managed_identities_and_the_arm_api() {
        let v = json!([
            {"name": "a", "issuer": "i", "subject": "s", "audiences": ["api://x"], "id": "0000"},
            {"name": "b", "issuer": "i", "subject": "s", "audiences": [],
             "id": "/subscriptions/s/resourcegroups/rg-1/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-1/federatedIdentityCredentials/b"},
            {"name": "c", "id": "/x", "properties": {"issuer": "i", "subject": "s", "audiences": []}},
            {"name": "d", "issuer": "i", "claimsMatchingExpression": {"value": "x"}, "audiences": []}
        ]);
        let c = credentials(&v).unwrap();
        assert_eq!(c[0].identity, None);
        assert_eq!(
            c[1].identity,
            Some(ManagedIdentity {
                name: "id-1".into(),
                resource_group: "rg-1".into()
            })
        );
        assert_eq!(c[2].path("subject"), "[2].properties.subject");
        assert_eq!(c[3].subject, None);
        assert_eq!(c[2].label(), "c");
        let unnamed =
            credentials(&json!([{"properties": {"issuer": "i", "subject": "s", "audiences": []}}]))
                .unwrap();
        assert_eq!(unnamed[0].label(), "[0]");
        assert!(credentials(&json!({"value": []})).unwrap().is_empty());
    }

    #[test]
    fn bad_credentials_name_the_field_they_lack() {
        let err = |v: Value| credentials(&v).unwrap_err();
        assert!(err(json!([{"subject": "s", "audiences": []}])).contains("[0] has no \"issuer\""));
        assert!(err(json!([{"issuer": "i", "audiences": []}])).contains("[0] has no \"subject\""));
        assert!(err(json!({"issuer": "i", "subject": "s"})).contains("it has no \"audiences\""));
        assert!(
            err(json!({"issuer": "i", "subject": "s", "audiences": "api://x"}))
                .contains("audiences is a string, not a list of strings")
        );
        assert!(
            err(json!({"issuer": "i", "subject": "s", "audiences": [1]}))
                .contains("audiences[0] is a number")
        );
        assert!(
            err(json!({"authorization": {"scheme": "x"}})).contains("pass it with --connection")
        );
    }
}
