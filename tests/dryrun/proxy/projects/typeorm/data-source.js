// TypeORM picks up pgfence's DATABASE_URL (the proxy's address) here.
const { DataSource } = require("typeorm");

exports.AppDataSource = new DataSource({
  type: "postgres",
  url: process.env.DATABASE_URL,
  migrations: [__dirname + "/migrations/*.js"],
  migrationsTransactionMode: "each",
});
