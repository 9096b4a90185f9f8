CREATE POLICY accounts_own ON accounts USING (n > 0);
