//! Database: pool, embedded PostgreSQL, migrations.
