"use strict";
module.exports = {
  async up(queryInterface, Sequelize) {
    await queryInterface.createTable("accounts", {
      id: { type: Sequelize.INTEGER, primaryKey: true, autoIncrement: true },
      name: { type: Sequelize.TEXT },
    });
    await queryInterface.createTable("orders", {
      id: { type: Sequelize.INTEGER, primaryKey: true, autoIncrement: true },
      account_id: { type: Sequelize.INTEGER },
    });
    await queryInterface.sequelize.query("INSERT INTO accounts (name) VALUES ('a')");
    await queryInterface.sequelize.query("INSERT INTO orders (account_id) VALUES (1)");
  },
  async down() {},
};
