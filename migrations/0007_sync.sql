-- Sync, issue 12: a device batch travels whole. The device counts a batch's movements to say how
-- many a push must carry, and the server counts what it already holds of a batch that arrives
-- incomplete: both find a batch by its id.
CREATE INDEX movements_batch ON movements(batch_id);
