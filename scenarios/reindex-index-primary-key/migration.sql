REINDEX INDEX accounts_pkey;
