use super::*;
use crate::store::NewAccount;

fn alice() -> NewAccount {
    NewAccount {
        name: "alice@social.example".into(),
        kind: "mastodon".into(),
        instance_url: "https://social.example/".into(),
        server_type: Some("mastodon".into()),
        remote_id: Some("1".into()),
        acct: Some("alice@social.example".into()),
        token: "s3cret-token".into(),
        ..Default::default()
    }
}

#[tokio::test]
async fn accounts_keep_their_token_to_themselves() {
    let store = Store::open_in_memory().unwrap();
    let id = store.add_account(alice()).await.unwrap();
    assert_eq!(
        store.account_token(id).await.unwrap().as_deref(),
        Some("s3cret-token")
    );
    let listed = store.list_accounts().await.unwrap();
    assert_eq!(listed.len(), 1);
    let shown = serde_json::to_string(&listed).unwrap();
    assert!(!shown.contains("s3cret"), "{shown}");
    assert!(!format!("{:?}", alice()).contains("s3cret"));
    assert_eq!(
        store
            .find_account("alice@social.example")
            .await
            .unwrap()
            .map(|a| a.id),
        Some(id)
    );

    let mut same_name = alice();
    same_name.remote_id = Some("2".into());
    let err = store.add_account(same_name).await.unwrap_err().to_string();
    assert!(err.contains("already exists"), "{err}");
    let mut same_login = alice();
    same_login.name = "other name".into();
    let err = store.add_account(same_login).await.unwrap_err().to_string();
    assert!(err.contains("already an account"), "{err}");
}

#[tokio::test]
async fn refused_token_marks_needs_login_until_relogin() {
    let store = Store::open_in_memory().unwrap();
    let id = store.add_account(alice()).await.unwrap();
    store
        .record_account_error(id, "mastodon: the token was refused".into(), true)
        .await
        .unwrap();
    let a = store.account(id).await.unwrap().unwrap();
    assert!(a.needs_login);
    assert_eq!(
        a.last_error.as_deref(),
        Some("mastodon: the token was refused")
    );
    store.relogin_account(id, "new-token".into()).await.unwrap();
    let a = store.account(id).await.unwrap().unwrap();
    assert!(!a.needs_login && a.last_error.is_none());
    assert_eq!(
        store.account_token(id).await.unwrap().as_deref(),
        Some("new-token")
    );
}

#[tokio::test]
async fn removing_an_account_removes_its_sources() {
    let store = Store::open_in_memory().unwrap();
    let id = store.add_account(alice()).await.unwrap();
    let mut home = new_source("home");
    home.kind = "mastodon".into();
    home.settings = serde_json::json!({ "account": id.0, "timeline": "home" });
    let home = store.add_source(home).await.unwrap();
    let feed = store.add_source(new_source("blog")).await.unwrap();
    assert_eq!(store.remove_account(id).await.unwrap(), 1);
    assert!(store.source(home).await.unwrap().is_none());
    assert!(store.source(feed).await.unwrap().is_some());
    assert!(store.list_accounts().await.unwrap().is_empty());
}
