UPDATE teams SET id = id + 1000 WHERE id > 90;
