CREATE PUBLICATION events_pub FOR TABLE events WITH (publish_via_partition_root = true);
