//! `mfa-resync access-key create`: an operator creates the access key an `aws` CLI or boto3
//! signs with. The secret is printed this once and never again (the server keeps it sealed).

use anyhow::{Context, anyhow};
use clap::Subcommand;

use crate::iam::create_access_key;
use crate::state::AppState;

/// `access-key …`.
#[derive(Debug, Subcommand)]
pub enum AccessKeyCommand {
    /// Create an access key for the Query API (IAM user or root user); prints the key id and
    /// the secret once.
    Create {
        /// Account id or alias.
        #[arg(long)]
        account: String,
        /// The IAM user.
        #[arg(long, conflicts_with = "root", required_unless_present = "root")]
        user_name: Option<String>,
        /// The account's root user.
        #[arg(long)]
        root: bool,
        /// Print IAM's `CreateAccessKey` answer as JSON: `{"AccessKey":{…}}`.
        #[arg(long)]
        json: bool,
    },
}

/// Runs the command.
pub async fn run(state: &AppState, command: AccessKeyCommand) -> anyhow::Result<()> {
    let AccessKeyCommand::Create {
        account,
        user_name,
        root: _,
        json,
    } = command;
    let found = state
        .storage
        .find_account(&account)
        .await?
        .ok_or_else(|| anyhow!("no account {account}"))?;
    let principal = match &user_name {
        Some(name) => state.storage.find_user(&found.id, name).await?,
        None => state.storage.find_root(&found.id).await?,
    }
    .ok_or_else(|| {
        anyhow!(
            "no such user {} in account {}",
            user_name.as_deref().unwrap_or("root"),
            found.id
        )
    })?;
    let key = create_access_key(state, &principal)
        .await
        .context("creating the access key")?;
    if json {
        let out = serde_json::json!({
            "AccessKey": {
                "UserName": key.user_name,
                "AccessKeyId": key.access_key_id,
                "Status": key.status,
                "SecretAccessKey": key.secret_access_key.as_str(),
                "CreateDate": key.create_date,
            }
        });
        println!("{out}");
    } else {
        println!("AccessKeyId:     {}", key.access_key_id);
        println!("SecretAccessKey: {}", key.secret_access_key.as_str());
        println!("UserName:        {}", key.user_name);
        println!(
            "The secret is shown this once. For the aws CLI: aws configure, then \
             aws iam list-mfa-devices --user-name {} --endpoint-url http://SERVER/",
            key.user_name
        );
    }
    Ok(())
}
