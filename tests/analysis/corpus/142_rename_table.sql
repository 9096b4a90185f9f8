SET lock_timeout = '2s';
ALTER TABLE logs RENAME TO app_logs;
