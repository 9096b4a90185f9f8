INSERT INTO accounts (id, email) VALUES (1, 'x@example.com') ON CONFLICT (id) DO UPDATE SET email = EXCLUDED.email;
