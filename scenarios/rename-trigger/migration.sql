ALTER TRIGGER accounts_touch ON accounts RENAME TO accounts_touched;
