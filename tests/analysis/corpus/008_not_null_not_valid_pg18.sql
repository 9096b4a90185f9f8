SET lock_timeout = '2s';
ALTER TABLE accounts ADD CONSTRAINT accounts_country_not_null NOT NULL country NOT VALID;
ALTER TABLE accounts VALIDATE CONSTRAINT accounts_country_not_null;
