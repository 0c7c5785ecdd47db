use propdesk::db::testing::fresh_database;

#[tokio::test]
async fn every_test_gets_a_migrated_database_of_its_own() {
    let a = fresh_database().await.unwrap();
    let b = fresh_database().await.unwrap();
    assert_ne!(a.name, b.name);
    let tables: i64 = sqlx::query_scalar("SELECT count(*) FROM information_schema.tables WHERE table_name IN ('inbox', 'outbox', 'tickets')")
        .fetch_one(&a.pool)
        .await
        .unwrap();
    assert_eq!(tables, 3);
    sqlx::query("INSERT INTO bot_state (key, value) VALUES ('x', '1')")
        .execute(&a.pool)
        .await
        .unwrap();
    let in_b: i64 = sqlx::query_scalar("SELECT count(*) FROM bot_state")
        .fetch_one(&b.pool)
        .await
        .unwrap();
    assert_eq!(in_b, 0);
}
