//! `latchkey login`: exchange an email and password for a token (`POST /tokens`),
//! read the account's public key, and save both in the private profile.

use std::io::BufRead;

use base64::Engine;
use clap::Args;
use latchkey_sdk::client::Request;
use latchkey_sdk::config::Credential;
use latchkey_sdk::{Client, Config};
use reqwest::Method;
use serde_json::json;

use super::exit::{FAILURE, Failure};
use super::profile::Profile;

/// `latchkey login`.
#[derive(Args, Debug, Clone)]
pub struct LoginArgs {
    /// Server base URL.
    #[arg(long, env = "LATCHKEY_URL")]
    pub url: String,
    /// Account id or slug (omit on a one-account server).
    #[arg(long, env = "LATCHKEY_ACCOUNT")]
    pub account: Option<String>,
    /// Your email.
    #[arg(long)]
    pub email: String,
    /// Read the password from standard input (first line) instead of prompting.
    #[arg(long)]
    pub password_stdin: bool,
    /// Token lifetime in seconds (default: the server's).
    #[arg(long)]
    pub expiry_seconds: Option<u64>,
}

fn password(args: &LoginArgs) -> Result<String, Failure> {
    if args.password_stdin {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        return Ok(line.trim_end_matches(['\r', '\n']).to_owned());
    }
    if let Ok(p) = std::env::var("LATCHKEY_PASSWORD") {
        return Ok(p);
    }
    rpassword::prompt_password(format!("password for {}: ", args.email)).map_err(Failure::from)
}

pub async fn login(args: &LoginArgs) -> Result<(), Failure> {
    let password = password(args)?;
    let mut config = Config::new(args.url.clone()).danger_skip_signature_verification();
    if let Some(account) = &args.account {
        config = config.account(account.clone());
    }
    let client = Client::new(config.clone())?;
    let basic = Credential::Basic {
        user: args.email.clone(),
        password,
    };
    let mut request = Request::new(Method::POST, "tokens").credential(&basic);
    if let Some(seconds) = args.expiry_seconds {
        request = request
            .json(json!({ "data": { "type": "tokens", "attributes": { "expiry": seconds } } }));
    }
    let created = client.send(request).await?;
    let token = created.body["data"]["attributes"]["token"]
        .as_str()
        .ok_or_else(|| Failure::new(FAILURE, "the server answered without a token", None))?
        .to_owned();
    let account_id = created.body["data"]["relationships"]["account"]["data"]["id"]
        .as_str()
        .map(str::to_owned)
        .or_else(|| args.account.clone());

    // The account's Ed25519 key, read over this connection (trust on first use): later
    // commands verify every answer with it.
    let public_key = match &account_id {
        Some(id) => Client::new(config.clone().account(id.clone()).token(token.clone()))?
            .get("")
            .await
            .ok()
            .and_then(|doc| doc["meta"]["keys"]["ed25519"].as_str().map(str::to_owned))
            .and_then(|b64| base64::engine::general_purpose::STANDARD.decode(b64).ok())
            .and_then(|bytes| String::from_utf8(bytes).ok()),
        None => None,
    };
    let profile = Profile {
        url: Some(args.url.clone()),
        account: args.account.clone(),
        token: Some(token),
        public_key: public_key.clone(),
    };
    let path = profile.save()?;
    println!(
        "logged in as {}; profile saved to {} (mode 0600)",
        args.email,
        path.display()
    );
    match public_key {
        Some(key) => println!(
            "responses will be verified with the account's key {}",
            key.trim()
        ),
        None => println!(
            "the account's public key could not be read: pass --public-key to verify responses"
        ),
    }
    Ok(())
}

pub fn logout() -> Result<(), Failure> {
    if Profile::remove()? {
        println!("profile removed (the token stays valid until it expires or is revoked)");
    } else {
        println!("not logged in");
    }
    Ok(())
}
