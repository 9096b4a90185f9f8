ALTER PUBLICATION pay_pub SET (publish = 'insert');
