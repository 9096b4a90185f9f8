// A volatile default (rewrites accounts), a foreign key (validates orders).
module.exports = class VolatileDefaultAndFk1767225600002 {
  name = "VolatileDefaultAndFk1767225600002";

  async up(queryRunner) {
    await queryRunner.query(`ALTER TABLE "accounts" ADD "created" TIMESTAMP WITH TIME ZONE DEFAULT clock_timestamp()`);
    await queryRunner.query(`ALTER TABLE "orders" ADD CONSTRAINT "FK_orders_account" FOREIGN KEY ("account_id") REFERENCES "accounts"("id")`);
  }

  async down() {}
};
