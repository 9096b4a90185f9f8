ALTER TABLE accounts ADD COLUMN updated_at timestamptz DEFAULT now();
