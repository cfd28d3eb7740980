//! The route table's builder: the same `.route(path, get(a).post(b))` lines as
//! axum's, but every `(method, path)` is also recorded, so the OpenAPI document can
//! be checked against the routes that really exist (see `crate::openapi`).

use crate::state::AppState;
use axum::Router;
use axum::handler::Handler;
use axum::http::Method;
use axum::routing::MethodRouter;

/// The methods of one path with their handlers (axum's `MethodRouter`) and the list
/// of those methods.
pub struct Methods {
    methods: Vec<Method>,
    router: MethodRouter<AppState>,
}

macro_rules! methods {
    ($($name:ident => $method:ident),+ $(,)?) => {
        $(
            /// Routes this method of the path to `handler`.
            pub fn $name<H, T>(handler: H) -> Methods
            where
                H: Handler<T, AppState>,
                T: 'static,
            {
                Methods { methods: vec![Method::$method], router: axum::routing::$name(handler) }
            }
        )+

        impl Methods {
            $(
                /// Also routes this method of the path to `handler`.
                pub fn $name<H, T>(mut self, handler: H) -> Self
                where
                    H: Handler<T, AppState>,
                    T: 'static,
                {
                    self.methods.push(Method::$method);
                    self.router = self.router.$name(handler);
                    self
                }
            )+
        }
    };
}

methods!(get => GET, post => POST, put => PUT, patch => PATCH, delete => DELETE);

/// One route: a method and an account-less path (`/v1/licenses/{id}`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Route {
    /// `GET`, `POST`, …
    pub method: String,
    /// The path as the router matches it.
    pub path: &'static str,
}

/// A router that remembers what it routes.
pub struct Table {
    router: Router<AppState>,
    routes: Vec<Route>,
}

impl Table {
    /// An empty table.
    pub fn new() -> Self {
        Self {
            router: Router::new(),
            routes: Vec::new(),
        }
    }

    /// Routes `path`'s methods.
    pub fn route(mut self, path: &'static str, methods: Methods) -> Self {
        for method in &methods.methods {
            self.routes.push(Route {
                method: method.as_str().to_owned(),
                path,
            });
        }
        self.router = self.router.route(path, methods.router);
        self
    }

    /// The router and every route it holds.
    pub fn finish(self) -> (Router<AppState>, Vec<Route>) {
        (self.router, self.routes)
    }
}

impl Default for Table {
    fn default() -> Self {
        Self::new()
    }
}
