UPDATE teams SET name = 'renamed' WHERE id > 90;
