DROP TABLE alerts;
DROP TABLE survey_tokens;
DROP TABLE device_enrolments;
ALTER TABLE offices DROP COLUMN alert_threshold;
