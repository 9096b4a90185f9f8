-- migrate:up
CREATE TABLE accounts (id serial PRIMARY KEY, name text);
CREATE TABLE orders (id serial PRIMARY KEY, account_id int);
INSERT INTO accounts (name) VALUES ('a');
INSERT INTO orders (account_id) VALUES (1);

-- migrate:down
