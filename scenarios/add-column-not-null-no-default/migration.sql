ALTER TABLE accounts ADD COLUMN required int NOT NULL;
