ALTER INDEX accounts_email_idx SET (fillfactor = 80);
