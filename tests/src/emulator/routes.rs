//! Maps method + path to an operation.

use hyper::Method;

use super::types::RouteKind;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    Token {
        tenant: String,
    },
    OpenIdConfiguration {
        tenant: String,
    },
    Authorize {
        tenant: String,
    },
    DeviceCode {
        tenant: String,
    },
    DeviceLogin,
    Jwks {
        tenant: String,
    },
    GraphListApplications,
    GraphGetApplication {
        app: AppRef,
    },
    GraphAddPassword {
        app: AppRef,
    },
    GraphRemovePassword {
        app: AppRef,
    },
    SetSecret {
        name: String,
    },
    GetSecret {
        name: String,
        version: Option<String>,
    },
    UpdateSecret {
        name: String,
        version: Option<String>,
    },
    DeleteSecret {
        name: String,
    },
    ListSecrets,
    ListVersions {
        name: String,
    },
    GetDeleted {
        name: String,
    },
    ListDeleted,
    Recover {
        name: String,
    },
    Purge {
        name: String,
    },
    Backup {
        name: String,
    },
    Restore,
    ListCertificates,
    GetCertificate {
        name: String,
        version: Option<String>,
    },
    GetCertificatePolicy {
        name: String,
    },
    ListKeys,
    GetKey {
        name: String,
        version: Option<String>,
    },
    GetKeyRotationPolicy {
        name: String,
    },
}

/// How a Graph path names an application: `/applications/{id}` (object id) or
/// `/applications(appId='{appId}')` (client id).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AppRef {
    ObjectId(String),
    AppId(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RouteError {
    NotFound,
    MethodNotAllowed,
}

impl Route {
    pub fn kind(&self) -> RouteKind {
        match self {
            Route::Token { .. } => RouteKind::Token,
            Route::OpenIdConfiguration { .. } => RouteKind::OpenIdConfiguration,
            Route::Authorize { .. } => RouteKind::Authorize,
            Route::DeviceCode { .. } => RouteKind::DeviceCode,
            Route::DeviceLogin => RouteKind::DeviceLogin,
            Route::Jwks { .. } => RouteKind::Jwks,
            Route::GraphListApplications => RouteKind::GraphListApplications,
            Route::GraphGetApplication { .. } => RouteKind::GraphGetApplication,
            Route::GraphAddPassword { .. } => RouteKind::GraphAddPassword,
            Route::GraphRemovePassword { .. } => RouteKind::GraphRemovePassword,
            Route::SetSecret { .. } => RouteKind::SetSecret,
            Route::GetSecret { .. } => RouteKind::GetSecret,
            Route::UpdateSecret { .. } => RouteKind::UpdateSecret,
            Route::DeleteSecret { .. } => RouteKind::DeleteSecret,
            Route::ListSecrets => RouteKind::ListSecrets,
            Route::ListVersions { .. } => RouteKind::ListVersions,
            Route::GetDeleted { .. } => RouteKind::GetDeleted,
            Route::ListDeleted => RouteKind::ListDeleted,
            Route::Recover { .. } => RouteKind::Recover,
            Route::Purge { .. } => RouteKind::Purge,
            Route::Backup { .. } => RouteKind::Backup,
            Route::Restore => RouteKind::Restore,
            Route::ListCertificates => RouteKind::ListCertificates,
            Route::GetCertificate { .. } => RouteKind::GetCertificate,
            Route::GetCertificatePolicy { .. } => RouteKind::GetCertificatePolicy,
            Route::ListKeys => RouteKind::ListKeys,
            Route::GetKey { .. } => RouteKind::GetKey,
            Route::GetKeyRotationPolicy { .. } => RouteKind::GetKeyRotationPolicy,
        }
    }

    pub fn secret_name(&self) -> Option<&str> {
        match self {
            Route::SetSecret { name }
            | Route::GetSecret { name, .. }
            | Route::UpdateSecret { name, .. }
            | Route::DeleteSecret { name }
            | Route::ListVersions { name }
            | Route::GetDeleted { name }
            | Route::Recover { name }
            | Route::Purge { name }
            | Route::Backup { name } => Some(name),
            _ => None,
        }
    }

    /// True for paths served by the Entra side (no bearer token required).
    pub fn is_entra(&self) -> bool {
        self.kind().is_entra()
    }

    /// True for Microsoft Graph paths (`/v1.0/…`).
    pub fn is_graph(&self) -> bool {
        self.kind().is_graph()
    }
}

/// True for paths in Graph's namespace, so an unknown one gets Graph's error shape.
pub fn is_graph_path(path: &str) -> bool {
    path.starts_with("/v1.0/") || path.starts_with("/beta/") || path == "/v1.0"
}

/// Percent-decodes a path segment (invalid escapes are kept as they are).
pub fn percent_decode(segment: &str) -> String {
    fn hex(byte: u8) -> Option<u8> {
        (byte as char).to_digit(16).map(|digit| digit as u8)
    }
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        if bytes[index] == b'%'
            && let (Some(high), Some(low)) = (
                bytes.get(index + 1).copied().and_then(hex),
                bytes.get(index + 2).copied().and_then(hex),
            )
        {
            out.push(high * 16 + low);
            index += 3;
            continue;
        }
        out.push(bytes[index]);
        index += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `applications(appId='…')` → the app id.
fn app_id_segment(segment: &str) -> Option<String> {
    let decoded = percent_decode(segment);
    let inner = decoded
        .strip_prefix("applications(")?
        .strip_suffix(')')?
        .trim();
    let (key, value) = inner.split_once('=')?;
    if !key.trim().eq_ignore_ascii_case("appId") {
        return None;
    }
    let value = value.trim().strip_prefix('\'')?.strip_suffix('\'')?;
    Some(value.to_string())
}

fn parse_graph(method: &Method, segments: &[&str]) -> Result<Route, RouteError> {
    let not_allowed = Err(RouteError::MethodNotAllowed);
    let (app, rest) = match segments {
        ["applications"] => {
            return match *method {
                Method::GET => Ok(Route::GraphListApplications),
                _ => not_allowed,
            };
        }
        ["applications", id, rest @ ..] => (AppRef::ObjectId(percent_decode(id)), rest),
        [first, rest @ ..] => match app_id_segment(first) {
            Some(app_id) => (AppRef::AppId(app_id), rest),
            None => return Err(RouteError::NotFound),
        },
        [] => return Err(RouteError::NotFound),
    };
    match (rest, method) {
        ([], &Method::GET) => Ok(Route::GraphGetApplication { app }),
        ([action], &Method::POST) if action.eq_ignore_ascii_case("addPassword") => {
            Ok(Route::GraphAddPassword { app })
        }
        ([action], &Method::POST) if action.eq_ignore_ascii_case("removePassword") => {
            Ok(Route::GraphRemovePassword { app })
        }
        ([], _) => not_allowed,
        ([action], _)
            if action.eq_ignore_ascii_case("addPassword")
                || action.eq_ignore_ascii_case("removePassword") =>
        {
            not_allowed
        }
        _ => Err(RouteError::NotFound),
    }
}

fn empty_to_none(version: &str) -> Option<String> {
    if version.is_empty() {
        None
    } else {
        Some(version.to_string())
    }
}

/// Parses a request path (without query).
pub fn parse(method: &Method, path: &str) -> Result<Route, RouteError> {
    let trimmed = path.strip_prefix('/').unwrap_or(path);
    let segments: Vec<&str> = trimmed.split('/').collect();
    let not_allowed = Err(RouteError::MethodNotAllowed);
    match segments.as_slice() {
        // Microsoft Graph
        ["v1.0", rest @ ..] => parse_graph(method, rest),
        // Entra
        [tenant, "oauth2", "v2.0", "token"] => match *method {
            Method::POST => Ok(Route::Token {
                tenant: tenant.to_string(),
            }),
            _ => not_allowed,
        },
        [tenant, "oauth2", "v2.0", "authorize"] => match *method {
            Method::GET => Ok(Route::Authorize {
                tenant: tenant.to_string(),
            }),
            _ => not_allowed,
        },
        [tenant, "oauth2", "v2.0", "devicecode"] => match *method {
            Method::POST => Ok(Route::DeviceCode {
                tenant: tenant.to_string(),
            }),
            _ => not_allowed,
        },
        [tenant, "discovery", "v2.0", "keys"] | [tenant, "discovery", "keys"] => match *method {
            Method::GET => Ok(Route::Jwks {
                tenant: tenant.to_string(),
            }),
            _ => not_allowed,
        },
        ["devicelogin"] => match *method {
            Method::GET | Method::POST => Ok(Route::DeviceLogin),
            _ => not_allowed,
        },
        [tenant, "v2.0", ".well-known", "openid-configuration"]
        | [tenant, ".well-known", "openid-configuration"] => match *method {
            Method::GET => Ok(Route::OpenIdConfiguration {
                tenant: tenant.to_string(),
            }),
            _ => not_allowed,
        },
        // Key Vault
        ["secrets"] | ["secrets", ""] => match *method {
            Method::GET => Ok(Route::ListSecrets),
            _ => not_allowed,
        },
        ["secrets", "restore"] if *method == Method::POST => Ok(Route::Restore),
        ["secrets", name] => {
            let name = name.to_string();
            match *method {
                Method::PUT => Ok(Route::SetSecret { name }),
                Method::GET => Ok(Route::GetSecret {
                    name,
                    version: None,
                }),
                Method::PATCH => Ok(Route::UpdateSecret {
                    name,
                    version: None,
                }),
                Method::DELETE => Ok(Route::DeleteSecret { name }),
                _ => not_allowed,
            }
        }
        ["secrets", name, "versions"] if *method == Method::GET => Ok(Route::ListVersions {
            name: name.to_string(),
        }),
        ["secrets", name, "backup"] if *method == Method::POST => Ok(Route::Backup {
            name: name.to_string(),
        }),
        ["secrets", name, version] => {
            let name = name.to_string();
            let version = empty_to_none(version);
            match *method {
                Method::GET => Ok(Route::GetSecret { name, version }),
                Method::PATCH => Ok(Route::UpdateSecret { name, version }),
                Method::PUT if version.is_none() => Ok(Route::SetSecret { name }),
                _ => not_allowed,
            }
        }
        // Certificates and keys: the read side (setup goes through control methods).
        ["certificates"] | ["certificates", ""] if *method == Method::GET => {
            Ok(Route::ListCertificates)
        }
        ["certificates", name, "policy"] if *method == Method::GET => {
            Ok(Route::GetCertificatePolicy {
                name: name.to_string(),
            })
        }
        ["certificates", name] | ["certificates", name, ""] if *method == Method::GET => {
            Ok(Route::GetCertificate {
                name: name.to_string(),
                version: None,
            })
        }
        ["certificates", name, version] if *method == Method::GET => Ok(Route::GetCertificate {
            name: name.to_string(),
            version: empty_to_none(version),
        }),
        ["keys"] | ["keys", ""] if *method == Method::GET => Ok(Route::ListKeys),
        ["keys", name] | ["keys", name, ""] if *method == Method::GET => Ok(Route::GetKey {
            name: name.to_string(),
            version: None,
        }),
        ["keys", name, "rotationpolicy"] if *method == Method::GET => {
            Ok(Route::GetKeyRotationPolicy {
                name: name.to_string(),
            })
        }
        ["keys", name, version] if *method == Method::GET => Ok(Route::GetKey {
            name: name.to_string(),
            version: empty_to_none(version),
        }),
        ["deletedsecrets"] | ["deletedsecrets", ""] => match *method {
            Method::GET => Ok(Route::ListDeleted),
            _ => not_allowed,
        },
        ["deletedsecrets", name] => {
            let name = name.to_string();
            match *method {
                Method::GET => Ok(Route::GetDeleted { name }),
                Method::DELETE => Ok(Route::Purge { name }),
                _ => not_allowed,
            }
        }
        ["deletedsecrets", name, "recover"] => match *method {
            Method::POST => Ok(Route::Recover {
                name: name.to_string(),
            }),
            _ => not_allowed,
        },
        _ => Err(RouteError::NotFound),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_vault_paths() {
        assert_eq!(
            parse(&Method::GET, "/secrets/a/"),
            Ok(Route::GetSecret {
                name: "a".into(),
                version: None
            })
        );
        assert_eq!(
            parse(&Method::GET, "/secrets/a/0123"),
            Ok(Route::GetSecret {
                name: "a".into(),
                version: Some("0123".into())
            })
        );
        assert_eq!(
            parse(&Method::DELETE, "/deletedsecrets/a"),
            Ok(Route::Purge { name: "a".into() })
        );
        assert_eq!(parse(&Method::POST, "/secrets/restore"), Ok(Route::Restore));
        assert_eq!(
            parse(&Method::GET, "/secrets/restore"),
            Ok(Route::GetSecret {
                name: "restore".into(),
                version: None
            })
        );
        assert_eq!(
            parse(&Method::POST, "/secrets/a"),
            Err(RouteError::MethodNotAllowed)
        );
        assert_eq!(
            parse(&Method::GET, "/keys/a"),
            Ok(Route::GetKey {
                name: "a".into(),
                version: None
            })
        );
        assert_eq!(
            parse(&Method::GET, "/certificates/a/policy"),
            Ok(Route::GetCertificatePolicy { name: "a".into() })
        );
        // No export, no key operations: not served.
        assert_eq!(
            parse(&Method::POST, "/keys/a/v1/export"),
            Err(RouteError::NotFound)
        );
    }

    #[test]
    fn entra_paths() {
        assert_eq!(
            parse(&Method::POST, "/t1/oauth2/v2.0/token"),
            Ok(Route::Token {
                tenant: "t1".into()
            })
        );
        assert_eq!(
            parse(&Method::GET, "/t1/v2.0/.well-known/openid-configuration"),
            Ok(Route::OpenIdConfiguration {
                tenant: "t1".into()
            })
        );
        assert_eq!(
            parse(&Method::GET, "/t1/oauth2/v2.0/authorize"),
            Ok(Route::Authorize {
                tenant: "t1".into()
            })
        );
        assert_eq!(
            parse(&Method::GET, "/t1/discovery/v2.0/keys"),
            Ok(Route::Jwks {
                tenant: "t1".into()
            })
        );
        assert_eq!(
            parse(&Method::GET, "/t1/oauth2/v2.0/devicecode"),
            Err(RouteError::MethodNotAllowed)
        );
    }

    #[test]
    fn graph_paths() {
        assert_eq!(
            parse(&Method::GET, "/v1.0/applications"),
            Ok(Route::GraphListApplications)
        );
        assert_eq!(
            parse(&Method::POST, "/v1.0/applications/abc/addPassword"),
            Ok(Route::GraphAddPassword {
                app: AppRef::ObjectId("abc".into())
            })
        );
        assert_eq!(
            parse(
                &Method::POST,
                "/v1.0/applications(appId='c-1')/removePassword"
            ),
            Ok(Route::GraphRemovePassword {
                app: AppRef::AppId("c-1".into())
            })
        );
        assert_eq!(
            parse(&Method::GET, "/v1.0/applications(appId=%27c-1%27)"),
            Ok(Route::GraphGetApplication {
                app: AppRef::AppId("c-1".into())
            })
        );
        assert_eq!(
            parse(&Method::GET, "/v1.0/applications/abc/addPassword"),
            Err(RouteError::MethodNotAllowed)
        );
        assert_eq!(
            parse(&Method::GET, "/v1.0/users"),
            Err(RouteError::NotFound)
        );
    }
}
