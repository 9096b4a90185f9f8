ALTER INDEX accounts_email_idx RENAME TO accounts_by_email;
