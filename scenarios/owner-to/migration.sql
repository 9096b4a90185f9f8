ALTER TABLE accounts OWNER TO app_owner;
