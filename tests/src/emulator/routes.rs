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
        // Entra
        [tenant, "oauth2", "v2.0", "token"] => match *method {
            Method::POST => Ok(Route::Token {
                tenant: tenant.to_string(),
            }),
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
        assert_eq!(parse(&Method::GET, "/keys/a"), Err(RouteError::NotFound));
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
    }
}
