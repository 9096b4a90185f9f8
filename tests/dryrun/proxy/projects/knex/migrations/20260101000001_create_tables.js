exports.up = async (knex) => {
  await knex.schema.createTable("accounts", (t) => {
    t.increments("id");
    t.text("name");
  });
  await knex.schema.createTable("orders", (t) => {
    t.increments("id");
    t.integer("account_id");
  });
  await knex("accounts").insert({ name: "a" });
  await knex("orders").insert({ account_id: 1 });
};
exports.down = async () => {};
