-- Statements of every type a rule's `nodes` names that the other corpora do not raise on.
ALTER TABLE accounts ADD COLUMN country char(2);
ALTER TABLE accounts ADD COLUMN settings json;
ALTER TABLE accounts ADD COLUMN note text, ADD COLUMN note text;
CREATE TABLE tags (label text, label text);
INSERT INTO accounts (id, id) VALUES (1, 2);
INSERT INTO accounts_archive SELECT * FROM accounts;
