"use strict";
// sequelize-cli runs a migration without a transaction: CONCURRENTLY works.
module.exports = {
  async up(queryInterface) {
    await queryInterface.addIndex("orders", ["account_id"], {
      name: "orders_account",
      concurrently: true,
    });
  },
  async down() {},
};
