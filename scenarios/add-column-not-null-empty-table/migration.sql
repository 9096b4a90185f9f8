ALTER TABLE audit ADD COLUMN required int NOT NULL;
