-- Reorder points, issue 17: an item's usable stock at or below its point is reported for ordering
-- (`report reorder`). Back-office data: devices do not pull it.
ALTER TABLE items ADD COLUMN reorder_point INTEGER CHECK (reorder_point IS NULL OR reorder_point >= 0);
ALTER TABLE items ADD COLUMN reorder_qty INTEGER CHECK (reorder_qty IS NULL OR reorder_qty > 0);
