// Left in Knex's transaction: Postgres refuses it.
exports.up = (knex) => knex.raw("CREATE INDEX CONCURRENTLY accounts_name ON accounts (name)");
exports.down = async () => {};
