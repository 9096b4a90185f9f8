REINDEX INDEX accounts_email_idx;
