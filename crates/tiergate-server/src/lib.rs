//! Tiergate's HTTP API. Handlers speak the wire crate's shapes, ask the core, and keep state in the store.

pub mod hooks;
