ALTER TABLE accounts ADD COLUMN score int CHECK (score > 0);
