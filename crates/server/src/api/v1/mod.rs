//! API v1: one folder per Keygen resource; [`routes`] is the route table.

pub mod accounts;
pub mod artifacts;
pub mod checkout;
pub mod components;
pub mod entitlements;
pub mod groups;
pub mod keys;
pub mod licenses;
pub mod logs;
pub mod machines;
pub mod packages;
pub mod policies;
pub mod processes;
pub mod products;
pub mod relationships;
pub mod releases;
pub mod route_table;
pub mod routes;
pub mod search;
pub mod second_factors;
pub mod serialize;
pub mod serializers;
pub mod tokens;
pub mod users;
pub mod webhooks;
