"use strict";
// In a transaction of the migration's own: Postgres refuses it.
module.exports = {
  async up(queryInterface) {
    await queryInterface.sequelize.transaction(async (transaction) => {
      await queryInterface.addIndex("accounts", ["name"], {
        name: "accounts_name",
        concurrently: true,
        transaction,
      });
    });
  },
  async down() {},
};
