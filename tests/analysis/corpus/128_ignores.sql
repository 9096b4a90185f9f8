SET lock_timeout = '2s';
-- the column is no longer read or written since release 4.2
-- pgfence-ignore: drop-column
ALTER TABLE orders DROP COLUMN note;
-- pgfence-ignore: create-index-blocks-writes
ALTER TABLE orders ADD COLUMN gift boolean;
