CREATE TABLE accounts (id bigint PRIMARY KEY, name text, email text);
CREATE TABLE accounts_archive (id bigint, name text, email text);
