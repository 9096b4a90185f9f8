DROP VIEW recent_notes CASCADE;
