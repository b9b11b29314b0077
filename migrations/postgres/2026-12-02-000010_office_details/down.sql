ALTER TABLE offices DROP COLUMN phone;
ALTER TABLE offices DROP COLUMN address;
