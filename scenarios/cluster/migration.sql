CLUSTER accounts USING accounts_pkey;
