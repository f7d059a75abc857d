//! Which stored credential a call uses: the user's own connection first, then a shared one of
//! a group the user belongs to whose policy shares this connector.

use crate::app::App;
use crate::vault::{ConnectionRecord, Owner, VaultError};

/// The connection a call for `user_id` to `connector_id` should use, if any.
pub async fn connection_for(
    app: &App,
    connector_id: &str,
    user_id: &str,
) -> Result<Option<ConnectionRecord>, VaultError> {
    if let Some(own) = app
        .vault
        .connections()
        .find(connector_id, &Owner::User(user_id.to_string()))
        .await?
    {
        return Ok(Some(own));
    }
    let shared_by = app
        .vault
        .principals()
        .groups_sharing(user_id, connector_id)
        .await?;
    for group in shared_by {
        if let Some(shared) = app
            .vault
            .connections()
            .find(connector_id, &Owner::Group(group))
            .await?
        {
            return Ok(Some(shared));
        }
    }
    Ok(None)
}
