// Outside TypeORM's transaction.
module.exports = class IndexConcurrently1767225600003 {
  name = "IndexConcurrently1767225600003";
  transaction = false;

  async up(queryRunner) {
    await queryRunner.query(`CREATE INDEX CONCURRENTLY "orders_account" ON "orders" ("account_id")`);
  }

  async down() {}
};
