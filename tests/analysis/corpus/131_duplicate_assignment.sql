UPDATE accounts SET plan = 'pro', plan = 'team' WHERE id = 7;
