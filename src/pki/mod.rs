//! Certificate-chain validation (RFC 5280) for document signing. A pure library: no I/O, no
//! clock; the validation time is always a parameter.

pub mod demo;
