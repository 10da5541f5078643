//! Integration tests against a real server on port 0. One test binary (faster
//! builds), one module per area.

mod accounts;
mod browser;
mod collab;
mod convergence;
mod history;
mod layering;
mod meta;
mod permissions;
mod scale_out;
mod support;
mod tls;
mod workspaces;
