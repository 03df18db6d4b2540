//! The OpenSpec format: parse, validate, merge (archive), templates.
