ALTER TABLE tickets RENAME TO issues;
