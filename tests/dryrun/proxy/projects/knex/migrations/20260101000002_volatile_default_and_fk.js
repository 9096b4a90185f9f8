// A volatile default (rewrites accounts), a foreign key (validates orders).
exports.up = async (knex) => {
  await knex.schema.alterTable("accounts", (t) => {
    t.timestamp("created").defaultTo(knex.raw("clock_timestamp()"));
  });
  await knex.schema.alterTable("orders", (t) => {
    t.foreign("account_id").references("accounts.id");
  });
};
exports.down = async () => {};
