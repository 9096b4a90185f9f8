CREATE TABLE archive_2024 () INHERITS (archive);
