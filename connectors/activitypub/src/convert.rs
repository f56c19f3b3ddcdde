//! STUB (not committed): replaced by the helper's module.
use crate::remote::RemoteActor;
use braid_core::Item;
use serde_json::Value;
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ConvertError(pub String);
pub fn item_from_object(_o: &Value, _a: &RemoteActor) -> Result<Item, ConvertError> {
    Err(ConvertError("stub".into()))
}
pub fn item_from_announce(
    _a: &Value,
    _b: &RemoteActor,
    _o: &Value,
    _au: &RemoteActor,
) -> Result<Item, ConvertError> {
    Err(ConvertError("stub".into()))
}
pub fn check_object_origin(_o: &Value, _a: &RemoteActor) -> Result<(), ConvertError> {
    Ok(())
}
pub fn attributed_to(_o: &Value) -> Option<String> {
    None
}
