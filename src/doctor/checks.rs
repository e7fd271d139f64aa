//! The checks of `azpls doctor`, one service connection at a time against the federated
//! credentials of its identity: each finding says what is wrong, where (the field's path in
//! either file), what the pipeline prints because of it, and the exact fix (which field, where,
//! set to what, and the command that does it).
//!
//! Values are compared as Microsoft Entra compares them: exactly, case and whitespace included
//! (`data/federation.toml` says where that is documented). A credential that almost matches is
//! described by what separates it from the connection: case, whitespace, a trailing slash, the
//! preview's issuer, the other issuer's format, or the parts of a documented format that differ
//! (a renamed organization, project or connection in an `sc://` subject).

use super::input::{
    self, Connection, Credential, FEDERATED_SCHEME, Federated, ISSUER_FIELD, SCHEME_FIELD,
    SUBJECT_FIELD, TENANT_FIELD,
};
use crate::knowledge::{Date, Federation, Format, IssuerKind, Knowledge};

/// A check, for `azpls rules` and the JSON output.
#[derive(Debug)]
pub struct CheckInfo {
    pub id: &'static str,
    pub summary: &'static str,
    pub explanation: &'static str,
}

/// Every check, in the order a connection is examined.
pub const CHECKS: &[CheckInfo] = &[
    CheckInfo {
        id: "not-federated",
        summary: "service connection that does not authenticate with workload identity federation",
        explanation: "The connection's authorization.scheme is not WorkloadIdentityFederation (a secret, a certificate, a managed identity of an agent): Azure DevOps presents no federated token, so the identity's federated credentials are never used. Convert the connection. In a file listing several connections this is a note: lists hold connections of every kind.",
    },
    CheckInfo {
        id: "no-credentials",
        summary: "identity without any federated credential",
        explanation: "The credentials file lists no federated credential, so Microsoft Entra has nothing to match the token with (AADSTS70025). Add one with the connection's issuer and subject and the audience api://AzureADTokenExchange.",
    },
    CheckInfo {
        id: "issuer-mismatch",
        summary: "no federated credential has the issuer the connection presents",
        explanation: "Microsoft Entra looks for a credential whose issuer equals the token's exactly. The finding describes the nearest credential: an issuer that differs in case, by whitespace or a trailing slash, the preview's issuer, the other issuer's format (Azure DevOps or Microsoft Entra), another organization's or tenant's issuer; and says whether to correct that credential or add one.",
    },
    CheckInfo {
        id: "subject-mismatch",
        summary: "no federated credential with the connection's issuer has its subject",
        explanation: "Microsoft Entra looks for a credential whose issuer and subject both equal the token's, exactly. The finding describes the nearest credential: a subject that differs in case, by whitespace or a trailing slash, one of the other issuer's format, or one whose organization, project or connection name differs (renaming any of them changes an sc:// subject) or that names another service connection; and says whether to correct that credential or add one.",
    },
    CheckInfo {
        id: "audience-mismatch",
        summary: "the matching credential lacks the audience Azure DevOps asks for",
        explanation: "A credential matches by issuer, subject and audience. Azure DevOps asks for the audience the documents show (in the Azure public cloud); a credential without it, or with it in another case, fails with AADSTS700212.",
    },
    CheckInfo {
        id: "tenant-mismatch",
        summary: "the connection's tenant id differs from the tenant of its Microsoft Entra issuer",
        explanation: "A connection on the Microsoft Entra issuer, whose address names a tenant, signs in to the tenant its tenantid names; when the two disagree, the identity is looked for in the wrong directory (AADSTS700016). Edit the connection, check its tenant, and save it.",
    },
    CheckInfo {
        id: "issuer-retiring",
        summary: "connection on the Azure DevOps issuer, which is being retired",
        explanation: "Connections on the Azure DevOps issuer must move to the Microsoft Entra issuer before the retirement date; after it the finding is an error. Editing and saving a connection updates its issuer; an identity that Azure DevOps did not create needs a federated credential with the new issuer and subject too.",
    },
    CheckInfo {
        id: "preview-issuer",
        summary: "connection that still presents the preview's issuer",
        explanation: "The connection shows the issuer of the preview, which Azure DevOps no longer presents (AADSTS70021). Editing and saving the connection refreshes its issuer.",
    },
    CheckInfo {
        id: "expression-credential",
        summary: "credential that matches subjects by an expression azpls does not evaluate",
        explanation: "A flexible federated credential has a claimsMatchingExpression instead of a subject. azpls does not evaluate expressions: when no other credential matches, such a credential may still cover the connection, which this note says.",
    },
    CheckInfo {
        id: "sovereign-cloud",
        summary: "connection outside the Azure public cloud, whose audience is not checked",
        explanation: "The documents give the audience for the Azure public cloud only; for a connection whose data.environment names another cloud, the matching credential's audience is not checked.",
    },
];

fn info(id: &str) -> &'static CheckInfo {
    CHECKS
        .iter()
        .find(|c| c.id == id)
        .expect("a check id from this file")
}

/// The check with this id.
pub fn find(id: &str) -> Option<&'static CheckInfo> {
    CHECKS.iter().find(|c| c.id == id)
}

/// A check's explanation, with the facts from the data it relies on.
pub fn explain(check: &CheckInfo, fed: &Federation) -> String {
    let format = |kind: IssuerKind| {
        let f = fed.format(kind);
        format!("{} with subject {}", f.issuer.as_str(), f.subject.as_str())
    };
    let formats = format!(
        "Formats (the {} table of the troubleshooting document): Azure DevOps issuer {}; Microsoft Entra issuer {}.",
        fed.formats_date,
        format(IssuerKind::AzureDevOps),
        format(IssuerKind::Entra)
    );
    let m = &fed.matching;
    let matching = format!(
        "Microsoft Entra compares issuer, subject and audience case-sensitively for identities created since {} <{}>, and an issuer with whitespace at its ends never matches <{}>.",
        m.case_sensitive_since, m.case_sensitive_source, m.whitespace_source
    );
    let r = &fed.retirement;
    let facts = match check.id {
        "issuer-retiring" => format!(
            "Retirement: {}, announced by {} ({}): {}\n\n{formats}",
            r.date, r.document, r.document_date, r.summary
        ),
        "issuer-mismatch" | "subject-mismatch" => format!(
            "{matching}\n\n{formats} The preview's issuer: {}.",
            format(IssuerKind::Preview)
        ),
        "audience-mismatch" => format!("The audience: {}. {matching}", fed.audience),
        "preview-issuer" => format!("The preview's issuer: {}.", format(IssuerKind::Preview)),
        "tenant-mismatch" => formats,
        _ => return check.explanation.to_string(),
    };
    format!("{}\n\n{facts}", check.explanation)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Note,
    /// Works today, will not.
    Warning,
    /// The pipeline fails.
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Note => "note",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// Which of the two inputs a value is in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Input {
    Connection,
    Credentials,
}

/// A value of an input: which file, its path there, and what it holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Place {
    pub input: Input,
    /// `[1].subject`; empty for the file as a whole.
    pub path: String,
    pub value: Option<String>,
}

#[derive(Debug)]
pub struct Finding {
    pub check: &'static CheckInfo,
    pub severity: Severity,
    pub message: String,
    /// The values at fault, each with the value it must equal when an input gives that.
    pub at: Vec<(Place, Option<Place>)>,
    /// What the pipeline prints because of it.
    pub pipeline: Option<String>,
    /// Where to go and what to set, then the command that does it.
    pub fix: Vec<String>,
}

/// What the checks found about one connection.
#[derive(Debug)]
pub struct Report {
    pub findings: Vec<Finding>,
    /// The credential that matches the connection's issuer and subject.
    pub matched: Option<usize>,
}

/// What the checks read besides the inputs.
pub struct Context<'a> {
    pub kb: &'a Knowledge,
    pub fed: &'a Federation,
    /// The day the retirement is judged on.
    pub today: Date,
    /// The connection came from a file listing several kinds: one that is not federated is
    /// only noted.
    pub in_list: bool,
}

/// Checks one connection against every credential.
pub fn check(conn: &Connection, creds: &[Credential], cx: &Context) -> Report {
    let mut findings = Vec::new();
    let Some(fed_params) = &conn.federated else {
        findings.push(not_federated(conn, cx));
        return Report {
            findings,
            matched: None,
        };
    };
    findings.extend(issuer_findings(conn, fed_params, cx));
    if creds.is_empty() {
        findings.push(Finding {
            check: info("no-credentials"),
            severity: Severity::Error,
            message: format!(
                "the identity has no federated credential, so Microsoft Entra cannot accept the token of \"{}\"",
                conn.label()
            ),
            at: vec![(
                Place {
                    input: Input::Credentials,
                    path: String::new(),
                    value: None,
                },
                None,
            )],
            pipeline: doc_error(cx.kb, "aadsts70025"),
            fix: add_credential(conn, fed_params, creds, cx.fed),
        });
        return Report {
            findings,
            matched: None,
        };
    }
    let matched = creds.iter().position(|c| {
        c.issuer == fed_params.issuer && c.subject.as_deref() == Some(fed_params.subject.as_str())
    });
    match matched {
        Some(i) => findings.extend(audience_findings(conn, fed_params, &creds[i], cx)),
        None => {
            findings.extend(nearest(conn, fed_params, creds, cx));
            for c in creds.iter().filter(|c| c.subject.is_none()) {
                findings.push(Finding {
                    check: info("expression-credential"),
                    severity: Severity::Note,
                    message: format!(
                        "credential \"{}\" matches subjects with an expression, which azpls does not evaluate; the connection is fine if it covers \"{}\" with issuer \"{}\"",
                        c.label(),
                        fed_params.subject,
                        fed_params.issuer
                    ),
                    at: vec![(credential_place(c, "claimsMatchingExpression", None), None)],
                    pipeline: None,
                    fix: Vec::new(),
                });
            }
        }
    }
    // What fails now first, then what will fail, then notes.
    findings.sort_by_key(|f| std::cmp::Reverse(f.severity));
    Report { findings, matched }
}

fn connection_place(conn: &Connection, field: &str, value: &str) -> Place {
    Place {
        input: Input::Connection,
        path: conn.path(field),
        value: Some(value.to_string()),
    }
}

fn credential_place(c: &Credential, field: &str, value: Option<&str>) -> Place {
    Place {
        input: Input::Credentials,
        path: c.path(field),
        value: value.map(str::to_string),
    }
}

/// An error of the document's table, by its id in `errors.toml`, as the pipeline prints it.
fn doc_error(kb: &Knowledge, id: &str) -> Option<String> {
    kb.errors()
        .iter()
        .find(|e| e.id == id)
        .map(|e| e.message.clone())
}

/// An Entra error of `federation.toml`, with its code.
fn entra_error(fed: &Federation, id: &str) -> Option<String> {
    fed.entra_error(id)
        .map(|e| format!("{}: {}", e.code, e.message))
}

/// Where a connection is edited.
fn connection_portal(conn: &Connection) -> String {
    format!(
        "Azure DevOps > Project settings > Service connections > \"{}\"",
        conn.label()
    )
}

fn not_federated(conn: &Connection, cx: &Context) -> Finding {
    let (severity, message) = if cx.in_list {
        (
            Severity::Note,
            format!(
                "service connection \"{}\" authenticates with scheme \"{}\", not {FEDERATED_SCHEME}; skipped",
                conn.label(),
                conn.scheme
            ),
        )
    } else {
        (
            Severity::Error,
            format!(
                "service connection \"{}\" authenticates with scheme \"{}\", not {FEDERATED_SCHEME}, so the identity's federated credentials are never used",
                conn.label(),
                conn.scheme
            ),
        )
    };
    // A secret-based connection fails once its secret expires.
    let pipeline = conn
        .scheme
        .eq_ignore_ascii_case("ServicePrincipal")
        .then(|| doc_error(cx.kb, "aadsts7000215"))
        .flatten();
    Finding {
        check: info("not-federated"),
        severity,
        message,
        at: vec![(connection_place(conn, SCHEME_FIELD, &conn.scheme), None)],
        pipeline: if cx.in_list { None } else { pipeline },
        fix: if cx.in_list {
            Vec::new()
        } else {
            vec![format!(
                "{}: convert it to workload identity federation ({})",
                connection_portal(conn),
                cx.fed.retirement.conversion_url
            )]
        },
    }
}

/// What the connection's own issuer says: the Azure DevOps issuer's retirement, the
/// preview's issuer, a tenant that differs from the one in a Microsoft Entra issuer.
fn issuer_findings(conn: &Connection, p: &Federated, cx: &Context) -> Vec<Finding> {
    let fed = cx.fed;
    let Some((format, parts)) = fed.read_issuer(&p.issuer) else {
        return Vec::new();
    };
    let issuer_place = connection_place(conn, ISSUER_FIELD, &p.issuer);
    match format.kind {
        IssuerKind::AzureDevOps => vec![retiring(conn, p, parts.first().copied(), cx)],
        IssuerKind::Preview => vec![Finding {
            check: info("preview-issuer"),
            severity: Severity::Warning,
            message: format!(
                "service connection \"{}\" still presents the preview's issuer, which Azure DevOps no longer uses; editing and saving the connection refreshes it",
                conn.label()
            ),
            at: vec![(issuer_place, None)],
            pipeline: doc_error(cx.kb, "aadsts70021-old-issuer-2025"),
            fix: vec![format!("{}: edit and save it", connection_portal(conn))],
        }],
        IssuerKind::Entra => {
            let tenant = parts.first().copied().unwrap_or_default();
            if tenant.eq_ignore_ascii_case(&p.tenant_id) {
                return Vec::new();
            }
            vec![Finding {
                check: info("tenant-mismatch"),
                severity: Severity::Error,
                message: format!(
                    "the issuer of service connection \"{}\" names tenant \"{tenant}\", but its tenant id is \"{}\"",
                    conn.label(),
                    p.tenant_id
                ),
                at: vec![(
                    issuer_place,
                    Some(connection_place(conn, TENANT_FIELD, &p.tenant_id)),
                )],
                pipeline: doc_error(cx.kb, "aadsts700016-2025"),
                fix: vec![format!(
                    "{}: edit it, make Tenant ID the identity's directory (tenant) id, and save it, which sets the issuer to match",
                    connection_portal(conn)
                )],
            }]
        }
    }
}

fn retiring(conn: &Connection, p: &Federated, org_id: Option<&str>, cx: &Context) -> Finding {
    let fed = cx.fed;
    let r = &fed.retirement;
    let days = cx.today.days_until(r.date);
    let (severity, when) = if days > 0 {
        (
            Severity::Warning,
            format!("is retired on {}, in {days} days", r.date),
        )
    } else {
        (Severity::Error, format!("was retired on {}", r.date))
    };
    let entra = fed.format(IssuerKind::Entra);
    let issuer = entra.issuer.fill(&[Some(&p.tenant_id)]);
    // The Entra subject is `<prefix>/sc/<organization id>/<connection id>`: the prefix is
    // Entra's to choose, the rest is known.
    let holes = entra.subject.holes().count();
    let mut known: Vec<Option<&str>> = vec![None; holes];
    if holes >= 2 {
        known[holes - 2] = org_id;
        known[holes - 1] = conn.id.as_deref();
    }
    let subject = entra.subject.fill(&known);
    Finding {
        check: info("issuer-retiring"),
        severity,
        message: format!(
            "service connection \"{}\" presents the Azure DevOps issuer, which {when} ({}, {}); move it to the Microsoft Entra issuer",
            conn.label(),
            r.document,
            r.document_date
        ),
        at: vec![(connection_place(conn, ISSUER_FIELD, &p.issuer), None)],
        pipeline: None,
        fix: vec![
            format!(
                "{}: edit and save it; it then presents issuer \"{issuer}\" and a subject of the form \"{subject}\"",
                connection_portal(conn)
            ),
            "if Azure DevOps did not create the identity, add a federated credential with that issuer and the connection's new subject (its edit dialog and `az devops service-endpoint show` show it), then run azpls doctor again".to_string(),
        ],
    }
}

fn audience_findings(
    conn: &Connection,
    p: &Federated,
    c: &Credential,
    cx: &Context,
) -> Vec<Finding> {
    let audience = &cx.fed.audience;
    if let Some(env) = &conn.environment
        && !env.eq_ignore_ascii_case("AzureCloud")
    {
        return vec![Finding {
            check: info("sovereign-cloud"),
            severity: Severity::Note,
            message: format!(
                "service connection \"{}\" is in cloud \"{env}\"; the documents give the audience for the Azure public cloud only, so the audience of credential \"{}\" is not checked",
                conn.label(),
                c.label()
            ),
            at: vec![(connection_place(conn, "data.environment", env), None)],
            pipeline: None,
            fix: Vec::new(),
        }];
    }
    if c.audiences.iter().any(|a| a == audience) {
        return Vec::new();
    }
    let shown = serde_json::to_string(&c.audiences).unwrap_or_default();
    let near = c
        .audiences
        .iter()
        .position(|a| a.eq_ignore_ascii_case(audience));
    let case = near
        .map(|_| " (one differs only in case, and Microsoft Entra compares audiences exactly)")
        .unwrap_or_default();
    let place = match near {
        Some(k) => credential_place(c, &format!("audiences[{k}]"), Some(&c.audiences[k])),
        None => credential_place(c, "audiences", None),
    };
    vec![Finding {
        check: info("audience-mismatch"),
        severity: Severity::Error,
        message: format!(
            "credential \"{}\" has the connection's issuer and subject, but its audiences {shown} lack \"{audience}\"{case}",
            c.label()
        ),
        at: vec![(place, None)],
        pipeline: entra_error(cx.fed, "audience"),
        fix: edit_credential(c, p, &[Field::Audience], cx.fed),
    }]
}

/// The fields a credential is compared on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Field {
    Issuer,
    Subject,
    Audience,
}

impl Field {
    fn name(self) -> &'static str {
        match self {
            Field::Issuer => "issuer",
            Field::Subject => "subject",
            Field::Audience => "audience",
        }
    }

    /// As the portals label it.
    fn portal(self) -> &'static str {
        match self {
            Field::Issuer => "Issuer",
            Field::Subject => "Subject identifier",
            Field::Audience => "Audience",
        }
    }

    fn read<'f, 'v>(
        self,
        fed: &'f Federation,
        value: &'v str,
    ) -> Option<(&'f Format, Vec<&'v str>)> {
        match self {
            Field::Issuer => fed.read_issuer(value),
            Field::Subject => fed.read_subject(value),
            Field::Audience => None,
        }
    }
}

/// A placeholder of a documented format whose value differs.
#[derive(Debug, PartialEq, Eq)]
struct Part {
    name: String,
    expected: String,
    actual: String,
}

/// What separates a credential's value from the connection's.
#[derive(Debug, PartialEq, Eq)]
enum Diff {
    Same,
    /// Equal once case, whitespace at the ends and a trailing slash are undone.
    Cosmetic {
        /// The parts that differ in case, when the values have a documented format.
        case: Option<Vec<Part>>,
        whitespace: bool,
        /// `Some(true)`: the credential has a trailing slash the connection's value lacks.
        slash: Option<bool>,
    },
    /// Both in one documented format; these parts differ.
    Parts {
        kind: IssuerKind,
        parts: Vec<Part>,
        /// Every part differs: most likely another connection's value.
        all: bool,
        /// Whether the last part (a connection's name or id) is among them.
        last: bool,
    },
    /// In another documented format (the other issuer's, or the preview's).
    Format {
        expected: IssuerKind,
        actual: IssuerKind,
    },
    Other,
}

impl Diff {
    /// How far the value is from the connection's: the nearest credential is reported.
    fn rank(&self) -> u8 {
        match self {
            Diff::Same => 0,
            Diff::Cosmetic { .. } => 1,
            Diff::Parts { all: false, .. } => 2,
            Diff::Format { .. } => 3,
            Diff::Parts { all: true, .. } => 4,
            Diff::Other => 5,
        }
    }

    /// Whether correcting this credential is the fix, rather than adding one: not when the
    /// value is most likely another connection's.
    fn correctable(&self, field: Field) -> bool {
        match self {
            Diff::Same | Diff::Cosmetic { .. } | Diff::Format { .. } => true,
            Diff::Parts {
                kind, all, last, ..
            } => !(*all || field == Field::Subject && *kind == IssuerKind::Entra && *last),
            Diff::Other => false,
        }
    }
}

fn differing_parts(expected: &[&str], actual: &[&str], names: &[&str]) -> Vec<Part> {
    expected
        .iter()
        .zip(actual)
        .zip(names)
        .filter(|((e, a), _)| e != a)
        .map(|((e, a), n)| Part {
            name: n.to_string(),
            expected: e.to_string(),
            actual: a.to_string(),
        })
        .collect()
}

fn compare(fed: &Federation, field: Field, expected: &str, actual: &str) -> Diff {
    if expected == actual {
        return Diff::Same;
    }
    let norm = |s: &str| s.trim().trim_end_matches('/').to_string();
    let (ne, na) = (norm(expected), norm(actual));
    // Both in one documented format: its kind, the parts that differ, the number of parts,
    // and whether the last one (a connection's name or id) differs.
    let same_format = |e: &str, a: &str| -> Option<(IssuerKind, Vec<Part>, usize, bool)> {
        let (fe, pe) = field.read(fed, e)?;
        let (fa, pa) = field.read(fed, a)?;
        let names: Vec<&str> = match field {
            Field::Subject => fe.subject.holes().collect(),
            _ => fe.issuer.holes().collect(),
        };
        let last = pe.last() != pa.last();
        (fe.kind == fa.kind).then(|| {
            (
                fe.kind,
                differing_parts(&pe, &pa, &names),
                names.len(),
                last,
            )
        })
    };
    if ne.eq_ignore_ascii_case(&na) {
        let ends = |s: &str| s.trim().ends_with('/');
        return Diff::Cosmetic {
            case: (ne != na).then(|| {
                same_format(&ne, &na)
                    .map(|(_, p, _, _)| p)
                    .unwrap_or_default()
            }),
            whitespace: actual.trim() != actual || expected.trim() != expected,
            slash: (ends(expected) != ends(actual)).then(|| ends(actual)),
        };
    }
    if let Some((kind, parts, holes, last)) = same_format(expected, actual) {
        return Diff::Parts {
            kind,
            all: parts.len() == holes,
            last,
            parts,
        };
    }
    match (field.read(fed, expected), field.read(fed, actual)) {
        (Some((fe, _)), Some((fa, _))) => Diff::Format {
            expected: fe.kind,
            actual: fa.kind,
        },
        _ => Diff::Other,
    }
}

fn parts_text(parts: &[Part]) -> String {
    parts
        .iter()
        .map(|p| {
            format!(
                "{} \"{}\" where the connection's has \"{}\"",
                p.name, p.actual, p.expected
            )
        })
        .collect::<Vec<_>>()
        .join(", and ")
}

fn label(fed: &Federation, kind: IssuerKind) -> &str {
    match kind {
        IssuerKind::Preview => "preview's",
        _ => &fed.format(kind).label,
    }
}

/// What separates the credential's `field` from the connection's, in words.
fn describe(fed: &Federation, field: Field, c: &Credential, diff: &Diff) -> String {
    let name = field.name();
    let who = c.label();
    match diff {
        Diff::Same => String::new(),
        Diff::Cosmetic {
            case,
            whitespace,
            slash,
        } => {
            let mut what = Vec::new();
            match case {
                Some(parts) if !parts.is_empty() => {
                    what.push(format!("case ({})", parts_text(parts)));
                }
                Some(_) => what.push("case".to_string()),
                None => {}
            }
            if *whitespace {
                what.push("whitespace at its ends".to_string());
            }
            match slash {
                Some(true) => what.push("a trailing slash".to_string()),
                Some(false) => what.push("a missing trailing slash".to_string()),
                None => {}
            }
            format!(
                "the {name} of credential \"{who}\" differs from the connection's only by {}, and Microsoft Entra compares {name}s exactly",
                what.join(" and ")
            )
        }
        Diff::Parts {
            kind, parts, last, ..
        } => {
            let why = match (field, kind) {
                (Field::Subject, IssuerKind::AzureDevOps | IssuerKind::Preview) => {
                    " (renaming an organization, project or service connection changes its subject)"
                }
                (Field::Subject, IssuerKind::Entra) if *last => " (another service connection's)",
                (Field::Issuer, IssuerKind::AzureDevOps) => " (another organization's issuer)",
                (Field::Issuer, IssuerKind::Entra) => " (another tenant's issuer)",
                _ => "",
            };
            format!(
                "the {name} of credential \"{who}\" has {}{why}",
                parts_text(parts)
            )
        }
        Diff::Format { expected, actual } if *actual == IssuerKind::Preview => format!(
            "credential \"{who}\" still has the preview's {name}, which Azure DevOps no longer presents; the connection presents the {} one",
            label(fed, *expected)
        ),
        Diff::Format { expected, actual } => format!(
            "the {name} of credential \"{who}\" is in the {} format, but the connection presents the {} one",
            label(fed, *actual),
            label(fed, *expected)
        ),
        Diff::Other => format!("no credential has the connection's {name}"),
    }
}

/// The nearest credential, and what to do about it.
fn nearest(conn: &Connection, p: &Federated, creds: &[Credential], cx: &Context) -> Vec<Finding> {
    let fed = cx.fed;
    let Some((i, issuer, subject)) = creds
        .iter()
        .enumerate()
        .filter_map(|(i, c)| {
            let subject = c.subject.as_deref()?;
            Some((
                i,
                compare(fed, Field::Issuer, &p.issuer, &c.issuer),
                compare(fed, Field::Subject, &p.subject, subject),
            ))
        })
        .min_by_key(|(i, a, b)| (a.rank() + b.rank(), *i))
    else {
        // Only credentials with expressions: noted by the caller.
        return Vec::new();
    };
    let c = &creds[i];
    // Entra looks for the issuer first: without a credential that has it, it says so.
    let issuer_known = creds.iter().any(|c| c.issuer == p.issuer);
    let pipeline = if !issuer_known {
        match &issuer {
            Diff::Format {
                actual: IssuerKind::Preview,
                ..
            } => doc_error(cx.kb, "aadsts70021-old-issuer-2025"),
            _ => doc_error(cx.kb, "aadsts700211-2025"),
        }
    } else if matches!(subject, Diff::Cosmetic { case: Some(_), .. }) {
        entra_error(fed, "subject-case")
    } else {
        doc_error(cx.kb, "aadsts700213")
    };
    let check = if issuer == Diff::Same {
        info("subject-mismatch")
    } else {
        info("issuer-mismatch")
    };
    let issuer_place = (
        credential_place(c, "issuer", Some(&c.issuer)),
        Some(connection_place(conn, ISSUER_FIELD, &p.issuer)),
    );
    let subject_place = (
        credential_place(c, "subject", c.subject.as_deref()),
        Some(connection_place(conn, SUBJECT_FIELD, &p.subject)),
    );
    let mut said = Vec::new();
    let mut at = Vec::new();
    let mut fields = Vec::new();
    for (field, diff, place) in [
        (Field::Issuer, &issuer, issuer_place),
        (Field::Subject, &subject, subject_place),
    ] {
        if *diff != Diff::Same {
            said.push(describe(fed, field, c, diff));
            at.push(place);
            fields.push(field);
        }
    }
    if !(issuer.correctable(Field::Issuer) && subject.correctable(Field::Subject)) {
        // Most likely another connection's credential: leave it, add one.
        let what = if issuer == Diff::Same {
            "subject"
        } else {
            "issuer and subject"
        };
        let mut message = format!(
            "no federated credential has the {what} of service connection \"{}\"",
            conn.label()
        );
        if issuer.rank() + subject.rank() < Diff::Other.rank() * 2 {
            message.push_str("; nearest: ");
            message.push_str(&said.join("; and "));
        }
        return vec![Finding {
            check,
            severity: Severity::Error,
            message,
            at,
            pipeline,
            fix: add_credential(conn, p, creds, fed),
        }];
    }
    let mut message = said.join("; and ");
    // A credential pairing one issuer's format with the other's subject never matches.
    let subject_format = c.subject.as_deref().and_then(|s| fed.read_subject(s));
    if let (Some((fi, _)), Some((fs, _))) = (fed.read_issuer(&c.issuer), subject_format)
        && (fi.kind == IssuerKind::Entra) != (fs.kind == IssuerKind::Entra)
    {
        message.push_str(&format!(
            "; it pairs the {} issuer with a subject of the {} format, which Azure DevOps never presents together",
            label(fed, fi.kind),
            label(fed, fs.kind)
        ));
    }
    if let Diff::Parts {
        kind: IssuerKind::AzureDevOps | IssuerKind::Preview,
        last: true,
        ..
    } = &subject
    {
        message.push_str(&format!(
            "; if credential \"{}\" was made for another connection, not for this one before a rename, add a credential instead of changing it",
            c.label()
        ));
    }
    if !c.audiences.contains(&fed.audience) {
        fields.push(Field::Audience);
    }
    vec![Finding {
        check,
        severity: Severity::Error,
        message,
        at,
        pipeline,
        fix: edit_credential(c, p, &fields, fed),
    }]
}

/// A value as one shell word: bare when safe, else in single quotes.
pub fn shell(value: &str) -> String {
    let safe = !value.is_empty()
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"@%+=:,./_-".contains(&b));
    if safe {
        value.to_string()
    } else {
        format!("'{}'", value.replace('\'', "'\\''"))
    }
}

/// The `--parameters` JSON of `az ad app federated-credential`.
fn parameters(name: Option<&str>, p: &Federated, audience: &str) -> String {
    let mut o = serde_json::Map::new();
    if let Some(name) = name {
        o.insert("name".into(), name.into());
    }
    o.insert("issuer".into(), p.issuer.clone().into());
    o.insert("subject".into(), p.subject.clone().into());
    o.insert("audiences".into(), vec![audience.to_string()].into());
    serde_json::Value::Object(o).to_string()
}

fn app_portal(p: &Federated) -> String {
    format!(
        "Microsoft Entra admin center > App registrations > \"{}\" > Certificates & secrets > Federated credentials",
        p.client_id
    )
}

fn identity_portal(name: &str) -> String {
    format!("Azure portal > Managed Identities > \"{name}\" > Settings > Federated credentials")
}

/// Correcting credential `c`: the portal's fields, then the command.
fn edit_credential(
    c: &Credential,
    p: &Federated,
    fields: &[Field],
    fed: &Federation,
) -> Vec<String> {
    let audience = fed.audience.as_str();
    let settings = fields
        .iter()
        .map(|f| {
            let value = match f {
                Field::Issuer => &p.issuer,
                Field::Subject => &p.subject,
                Field::Audience => audience,
            };
            format!("{} to \"{value}\"", f.portal())
        })
        .collect::<Vec<_>>()
        .join(", ");
    let name = c.name.clone().unwrap_or_else(|| "<credential name>".into());
    match &c.identity {
        Some(mi) => vec![
            format!("{} > \"{name}\": set {settings}", identity_portal(&mi.name)),
            format!(
                "az identity federated-credential update --name {} --identity-name {} --resource-group {} --issuer {} --subject {} --audiences {}",
                shell(&name),
                shell(&mi.name),
                shell(&mi.resource_group),
                shell(&p.issuer),
                shell(&p.subject),
                shell(audience)
            ),
        ],
        None => vec![
            format!("{} > \"{name}\": set {settings}", app_portal(p)),
            format!(
                "az ad app federated-credential update --id {} --federated-credential-id {} --parameters {}",
                shell(&p.client_id),
                shell(&name),
                shell(&parameters(None, p, audience))
            ),
        ],
    }
}

/// A name for a new credential: the connection's, in the characters credential names allow.
fn credential_name(conn: &Connection, creds: &[Credential]) -> String {
    let base: String = conn
        .name
        .as_deref()
        .unwrap_or("azure-devops")
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .take(100)
        .collect();
    let base = match base.trim_matches('-') {
        "" => "azure-devops".to_string(),
        b => b.to_string(),
    };
    let taken = |n: &str| creds.iter().any(|c| c.name.as_deref() == Some(n));
    (1..)
        .map(|i| {
            if i == 1 {
                base.clone()
            } else {
                format!("{base}-{i}")
            }
        })
        .find(|n| !taken(n))
        .expect("some suffix is free")
}

/// Adding a credential with the connection's issuer and subject, to the identity the other
/// credentials belong to (both kinds when there are none).
fn add_credential(
    conn: &Connection,
    p: &Federated,
    creds: &[Credential],
    fed: &Federation,
) -> Vec<String> {
    let audience = fed.audience.as_str();
    let name = credential_name(conn, creds);
    let fields = format!(
        "Issuer \"{}\", Subject identifier \"{}\", Audience \"{audience}\", Name \"{name}\"",
        p.issuer, p.subject
    );
    let app = vec![
        format!(
            "{} > Add credential > Other issuer: {fields}",
            app_portal(p)
        ),
        format!(
            "az ad app federated-credential create --id {} --parameters {}",
            shell(&p.client_id),
            shell(&parameters(Some(&name), p, audience))
        ),
    ];
    let identity = |mi: Option<&input::ManagedIdentity>| {
        let (id_name, group) = match mi {
            Some(mi) => (mi.name.clone(), shell(&mi.resource_group)),
            None => (
                "<identity name>".to_string(),
                "'<resource group>'".to_string(),
            ),
        };
        vec![
            format!(
                "{} > Add credential > Other issuer: {fields}",
                identity_portal(&id_name)
            ),
            format!(
                "az identity federated-credential create --name {} --identity-name {} --resource-group {group} --issuer {} --subject {} --audiences {}",
                shell(&name),
                shell(&id_name),
                shell(&p.issuer),
                shell(&p.subject),
                shell(audience)
            ),
        ]
    };
    if let Some(mi) = creds.iter().find_map(|c| c.identity.as_ref()) {
        identity(Some(mi))
    } else if !creds.is_empty() {
        app
    } else {
        let mut both: Vec<String> = app
            .into_iter()
            .map(|l| format!("app registration: {l}"))
            .collect();
        both.extend(
            identity(None)
                .into_iter()
                .map(|l| format!("managed identity: {l}")),
        );
        both
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::knowledge::{federation, knowledge};

    const ORG: &str = "11111111-2222-4333-8444-555555555555";

    fn fed() -> &'static Federation {
        federation()
    }

    #[test]
    fn every_check_is_listed_once_with_a_kebab_case_id() {
        for (i, c) in CHECKS.iter().enumerate() {
            assert!(
                c.id.bytes().all(|b| b.is_ascii_lowercase() || b == b'-'),
                "{}",
                c.id
            );
            assert!(CHECKS[..i].iter().all(|o| o.id != c.id), "{} twice", c.id);
        }
    }

    #[test]
    fn every_error_the_checks_name_is_in_the_data() {
        let kb = knowledge();
        for id in [
            "aadsts70025",
            "aadsts7000215",
            "aadsts70021-old-issuer-2025",
            "aadsts700016-2025",
            "aadsts700213",
            "aadsts700211-2025",
        ] {
            let e = kb
                .errors()
                .iter()
                .find(|e| e.id == id)
                .unwrap_or_else(|| panic!("{id}"));
            assert!(
                e.tables.contains(&kb.newest()),
                "{id} is in the newest table"
            );
        }
        assert!(
            entra_error(fed(), "subject-case")
                .unwrap()
                .starts_with("AADSTS7002138: ")
        );
        assert!(
            entra_error(fed(), "audience")
                .unwrap()
                .starts_with("AADSTS700212: ")
        );
    }

    #[test]
    fn values_that_differ_only_in_form_are_cosmetic() {
        let issuer = format!("https://vstoken.dev.azure.com/{ORG}");
        let d = compare(fed(), Field::Issuer, &issuer, &format!("{issuer}/"));
        assert_eq!(
            d,
            Diff::Cosmetic {
                case: None,
                whitespace: false,
                slash: Some(true)
            }
        );
        let d = compare(
            fed(),
            Field::Subject,
            "sc://contoso/web/prod",
            " sc://Contoso/web/prod",
        );
        let Diff::Cosmetic {
            case: Some(parts),
            whitespace: true,
            slash: None,
        } = d
        else {
            panic!("{d:?}")
        };
        assert_eq!(parts[0].name, "organization name");
        assert_eq!(
            (parts[0].actual.as_str(), parts[0].expected.as_str()),
            ("Contoso", "contoso")
        );
    }

    #[test]
    fn renamed_parts_and_other_formats_are_told_apart() {
        let d = compare(
            fed(),
            Field::Subject,
            "sc://contoso/web/prod",
            "sc://contoso/site/prod",
        );
        assert!(
            matches!(&d, Diff::Parts { all: false, last: false, parts, .. } if parts[0].name == "project name"),
            "{d:?}"
        );
        let d = compare(
            fed(),
            Field::Subject,
            "sc://contoso/web/prod",
            "sc://fabrikam/site/test",
        );
        assert!(matches!(d, Diff::Parts { all: true, .. }), "{d:?}");
        let d = compare(
            fed(),
            Field::Issuer,
            &format!("https://vstoken.dev.azure.com/{ORG}"),
            "https://app.vstoken.visualstudio.com/abc",
        );
        assert_eq!(
            d,
            Diff::Format {
                expected: IssuerKind::AzureDevOps,
                actual: IssuerKind::Preview
            }
        );
        let d = compare(
            fed(),
            Field::Subject,
            "/eid1/x/sc/org/conn-a",
            "/eid1/x/sc/org/conn-b",
        );
        assert!(
            !d.correctable(Field::Subject),
            "another connection's subject: {d:?}"
        );
        assert_eq!(
            compare(fed(), Field::Issuer, "https://a", "https://b"),
            Diff::Other
        );
    }

    #[test]
    fn shell_words_are_quoted_only_when_needed() {
        assert_eq!(
            shell("api://AzureADTokenExchange"),
            "api://AzureADTokenExchange"
        );
        assert_eq!(shell("sc://o/p/my conn"), "'sc://o/p/my conn'");
        assert_eq!(shell("it's"), "'it'\\''s'");
        assert_eq!(shell(""), "''");
    }
}
