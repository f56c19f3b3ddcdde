//! HTTP Signatures (to be written).
