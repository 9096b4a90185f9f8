// Left in TypeORM's transaction: Postgres refuses it.
module.exports = class ConcurrentlyInTransaction1767225600004 {
  name = "ConcurrentlyInTransaction1767225600004";

  async up(queryRunner) {
    await queryRunner.query(`CREATE INDEX CONCURRENTLY "accounts_name" ON "accounts" ("name")`);
  }

  async down() {}
};
