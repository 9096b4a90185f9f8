ALTER TABLE accounts DISABLE RULE accounts_no_delete;
