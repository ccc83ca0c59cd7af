-- Editing or deleting a message drops its mentions (`DELETE FROM mentions WHERE
-- message_id = …`, in the writer's transaction): without this index that scans every
-- mention there is.
CREATE INDEX mentions_by_message ON mentions (message_id);
