// Outside Knex's transaction.
exports.config = { transaction: false };
exports.up = (knex) => knex.raw("CREATE INDEX CONCURRENTLY orders_account ON orders (account_id)");
exports.down = async () => {};
