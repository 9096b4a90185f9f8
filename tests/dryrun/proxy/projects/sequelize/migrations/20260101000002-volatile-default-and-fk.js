"use strict";
// A volatile default (rewrites accounts), a foreign key (validates orders).
module.exports = {
  async up(queryInterface, Sequelize) {
    await queryInterface.addColumn("accounts", "created", {
      type: Sequelize.DATE,
      defaultValue: Sequelize.literal("clock_timestamp()"),
    });
    await queryInterface.addConstraint("orders", {
      fields: ["account_id"],
      type: "foreign key",
      name: "orders_account_fk",
      references: { table: "accounts", field: "id" },
    });
  },
  async down() {},
};
