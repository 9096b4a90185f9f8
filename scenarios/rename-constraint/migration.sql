ALTER TABLE accounts RENAME CONSTRAINT accounts_pkey TO accounts_pk;
