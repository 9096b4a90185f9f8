// Knex picks up pgfence's DATABASE_URL (the proxy's address) here.
module.exports = {
  client: "pg",
  connection: process.env.DATABASE_URL,
  migrations: { directory: "./migrations" },
};
