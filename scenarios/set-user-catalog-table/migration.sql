ALTER TABLE accounts SET (user_catalog_table = true);
