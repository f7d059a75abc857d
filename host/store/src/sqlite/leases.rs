//! Refresh leases in SQL: two columns on the connection's row, claimed in the one writer.

use async_trait::async_trait;
use rusqlite::{OptionalExtension, params};

use super::SqliteBackend;
use crate::error::VaultError;
use crate::lease::{LeaseClaim, LeaseStore};

#[async_trait]
impl LeaseStore for SqliteBackend {
    async fn claim_refresh(
        &self,
        connection_id: &str,
        holder: &str,
        now: i64,
        until: i64,
    ) -> Result<LeaseClaim, VaultError> {
        let (id, holder) = (connection_id.to_string(), holder.to_string());
        self.db
            .write(move |c| {
                let tx = c.transaction()?;
                let claimed = tx.execute(
                    "UPDATE connections SET refresh_holder = ?2, refresh_until = ?4 \
                     WHERE id = ?1 AND (refresh_until IS NULL OR refresh_until <= ?3)",
                    params![id, holder, now, until],
                )?;
                let answer = if claimed > 0 {
                    LeaseClaim::Granted
                } else {
                    let held: Option<Option<i64>> = tx
                        .query_row(
                            "SELECT refresh_until FROM connections WHERE id = ?1",
                            params![id],
                            |r| r.get(0),
                        )
                        .optional()?;
                    match held {
                        None => LeaseClaim::NoConnection,
                        Some(until) => LeaseClaim::Held {
                            until: until.unwrap_or(now),
                        },
                    }
                };
                tx.commit()?;
                Ok(answer)
            })
            .await
    }

    async fn release_refresh(&self, connection_id: &str, holder: &str) -> Result<(), VaultError> {
        let (id, holder) = (connection_id.to_string(), holder.to_string());
        self.db
            .write(move |c| {
                c.execute(
                    "UPDATE connections SET refresh_holder = NULL, refresh_until = NULL \
                     WHERE id = ?1 AND refresh_holder = ?2",
                    params![id, holder],
                )?;
                Ok(())
            })
            .await
    }
}
