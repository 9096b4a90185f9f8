CREATE RULE accounts_no_delete AS ON DELETE TO accounts DO INSTEAD NOTHING;
