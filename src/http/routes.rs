//! The one table of routes. The router is built from it and the OpenAPI document is generated
//! from it (each handler's `#[utoipa::path]` description), so a route cannot be served without
//! being documented; the tests walk the same table.

use axum::http::Method;
use axum::routing::{delete, get, post, MethodRouter};
use utoipa::openapi::path::{HttpMethod, Operation};
use utoipa::OpenApi;

use super::state::AppState;
use super::{admin, certificates, citizen, documents, external, ops, sign, tlog, trust, verify};

/// The OpenAPI description of one route: path, methods and operation from its handler.
pub type RouteDoc = fn() -> (String, Vec<HttpMethod>, Operation);

/// One route of the service.
pub struct RouteSpec {
    pub method: Method,
    /// The axum path (`{id}` parameters, `{*rest}` for a wildcard).
    pub path: &'static str,
    /// The handler, as a method router for `method`.
    pub handler: fn() -> MethodRouter<AppState>,
    /// Expensive (CPU-bound, large body): admitted through the in-flight gate.
    pub heavy: bool,
    pub doc: RouteDoc,
}

impl RouteSpec {
    /// The path as OpenAPI writes it (`{*rest}` becomes `{rest}`).
    pub fn openapi_path(&self) -> String {
        self.path.replace("{*", "{")
    }
}

/// The documentation of a `#[utoipa::path]` handler.
pub fn doc<P: utoipa::Path>() -> (String, Vec<HttpMethod>, Operation) {
    (P::path(), P::methods(), P::operation())
}

/// Every route the service serves.
pub const ROUTES: &[RouteSpec] = &[
    RouteSpec {
        method: Method::POST,
        path: "/v1/sign",
        handler: || post(sign::sign),
        heavy: true,
        doc: doc::<sign::__path_sign>,
    },
    RouteSpec {
        method: Method::POST,
        path: "/v1/sign/prepare",
        handler: || post(external::prepare),
        heavy: true,
        doc: doc::<external::__path_prepare>,
    },
    RouteSpec {
        method: Method::POST,
        path: "/v1/sign/complete",
        handler: || post(external::complete),
        heavy: true,
        doc: doc::<external::__path_complete>,
    },
    RouteSpec {
        method: Method::POST,
        path: "/v1/verify",
        handler: || post(verify::verify),
        heavy: true,
        doc: doc::<verify::__path_verify>,
    },
    RouteSpec {
        method: Method::POST,
        path: "/v1/certificates/validate",
        handler: || post(certificates::validate),
        heavy: true,
        doc: doc::<certificates::__path_validate>,
    },
    RouteSpec {
        method: Method::GET,
        path: "/v1/documents/{id}",
        handler: || get(documents::get_by_id),
        heavy: false,
        doc: doc::<documents::__path_get_by_id>,
    },
    RouteSpec {
        method: Method::GET,
        path: "/v1/documents/by-hash/{sha256}",
        handler: || get(documents::get_by_hash),
        heavy: false,
        doc: doc::<documents::__path_get_by_hash>,
    },
    RouteSpec {
        method: Method::GET,
        path: "/v/{id}",
        handler: || get(citizen::citizen_page),
        heavy: false,
        doc: doc::<citizen::__path_citizen_page>,
    },
    RouteSpec {
        method: Method::GET,
        path: "/static/citizen.js",
        handler: || get(citizen::script),
        heavy: false,
        doc: doc::<citizen::__path_script>,
    },
    RouteSpec {
        method: Method::GET,
        path: "/static/citizen.css",
        handler: || get(citizen::style),
        heavy: false,
        doc: doc::<citizen::__path_style>,
    },
    RouteSpec {
        method: Method::GET,
        path: "/checkpoint",
        handler: || get(tlog::checkpoint),
        heavy: false,
        doc: doc::<tlog::__path_checkpoint>,
    },
    RouteSpec {
        method: Method::GET,
        path: "/tile/{*path}",
        handler: || get(tlog::tile),
        heavy: false,
        doc: doc::<tlog::__path_tile>,
    },
    RouteSpec {
        method: Method::GET,
        path: "/v1/admin/keys",
        handler: || get(admin::list_keys),
        heavy: false,
        doc: doc::<admin::__path_list_keys>,
    },
    RouteSpec {
        method: Method::POST,
        path: "/v1/admin/keys/{id}/certificate",
        handler: || post(admin::register_certificate),
        heavy: false,
        doc: doc::<admin::__path_register_certificate>,
    },
    RouteSpec {
        method: Method::POST,
        path: "/v1/admin/keys/{id}/activate",
        handler: || post(admin::activate_key),
        heavy: false,
        doc: doc::<admin::__path_activate_key>,
    },
    RouteSpec {
        method: Method::POST,
        path: "/v1/admin/keys/{id}/retire",
        handler: || post(admin::retire_key),
        heavy: false,
        doc: doc::<admin::__path_retire_key>,
    },
    RouteSpec {
        method: Method::GET,
        path: "/v1/admin/tokens",
        handler: || get(admin::list_tokens),
        heavy: false,
        doc: doc::<admin::__path_list_tokens>,
    },
    RouteSpec {
        method: Method::POST,
        path: "/v1/admin/tokens",
        handler: || post(admin::create_token),
        heavy: false,
        doc: doc::<admin::__path_create_token>,
    },
    RouteSpec {
        method: Method::DELETE,
        path: "/v1/admin/tokens/{id}",
        handler: || delete(admin::revoke_token),
        heavy: false,
        doc: doc::<admin::__path_revoke_token>,
    },
    RouteSpec {
        method: Method::POST,
        path: "/v1/admin/documents/{id}/revoke",
        handler: || post(admin::revoke_document),
        heavy: false,
        doc: doc::<admin::__path_revoke_document>,
    },
    RouteSpec {
        method: Method::GET,
        path: "/v1/admin/trust/anchors",
        handler: || get(trust::list_anchors),
        heavy: false,
        doc: doc::<trust::__path_list_anchors>,
    },
    RouteSpec {
        method: Method::POST,
        path: "/v1/admin/trust/anchors",
        handler: || post(trust::add_anchors),
        heavy: false,
        doc: doc::<trust::__path_add_anchors>,
    },
    RouteSpec {
        method: Method::DELETE,
        path: "/v1/admin/trust/anchors/{sha256}",
        handler: || delete(trust::remove_anchor),
        heavy: false,
        doc: doc::<trust::__path_remove_anchor>,
    },
    RouteSpec {
        method: Method::POST,
        path: "/v1/admin/trust/crls",
        handler: || post(trust::add_crl),
        heavy: false,
        doc: doc::<trust::__path_add_crl>,
    },
    RouteSpec {
        method: Method::GET,
        path: "/healthz",
        handler: || get(ops::healthz),
        heavy: false,
        doc: doc::<ops::__path_healthz>,
    },
    RouteSpec {
        method: Method::GET,
        path: "/readyz",
        handler: || get(ops::readyz),
        heavy: false,
        doc: doc::<ops::__path_readyz>,
    },
    RouteSpec {
        method: Method::GET,
        path: "/metrics",
        handler: || get(ops::metrics),
        heavy: false,
        doc: doc::<ops::__path_metrics>,
    },
    RouteSpec {
        method: Method::GET,
        path: "/openapi.json",
        handler: || get(ops::openapi),
        heavy: false,
        doc: doc::<ops::__path_openapi>,
    },
];

/// Components shared by the operations, and the API's metadata.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "kyso",
        description = "Ký số: signs and verifies PDF decisions, validates certificate chains, keeps a verifiable ledger of issued documents."
    ),
    components(schemas(
        super::error::ErrorBody,
        super::documents::DocumentRecord,
        super::documents::LedgerEvent,
        super::documents::DocumentStatus,
        super::sign::SignParams,
        super::admin::Registered,
        super::admin::Activated,
        super::admin::KeyStateBody,
        super::admin::NewTokenRequest,
        super::admin::CreatedToken,
        super::admin::DocumentAction,
        super::trust::AnchorInfo,
        super::trust::CrlInfo,
        super::external::PrepareParams,
        super::external::Prepared,
        super::external::CompleteRequest,
        super::certificates::ValidateRequest,
    )),
    modifiers(&BearerAuth)
)]
struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, api: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        if let Some(c) = api.components.as_mut() {
            c.add_security_scheme(
                "bearer",
                SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
            );
        }
    }
}

/// The OpenAPI document of every route in [`ROUTES`].
pub fn openapi() -> utoipa::openapi::OpenApi {
    let mut api = ApiDoc::openapi();
    for route in ROUTES {
        let (path, methods, operation) = (route.doc)();
        api.paths.add_path_operation(path, methods, operation);
    }
    api
}
