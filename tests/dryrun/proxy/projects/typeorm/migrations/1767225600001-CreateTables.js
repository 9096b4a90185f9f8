module.exports = class CreateTables1767225600001 {
  name = "CreateTables1767225600001";

  async up(queryRunner) {
    await queryRunner.query(`CREATE TABLE "accounts" ("id" SERIAL PRIMARY KEY, "name" text)`);
    await queryRunner.query(`CREATE TABLE "orders" ("id" SERIAL PRIMARY KEY, "account_id" integer)`);
    await queryRunner.query(`INSERT INTO "accounts" ("name") VALUES ('a')`);
    await queryRunner.query(`INSERT INTO "orders" ("account_id") VALUES (1)`);
  }

  async down() {}
};
