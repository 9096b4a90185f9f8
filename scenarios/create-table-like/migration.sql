CREATE TABLE accounts_copy (LIKE accounts INCLUDING ALL);
