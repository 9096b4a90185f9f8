UPDATE accounts SET n = n + 1;
