DROP TRIGGER case_events_no_delete;
DROP TRIGGER case_events_no_update;
DROP TABLE case_events;
DROP TABLE cases;
DROP TABLE case_deadline_rules;
DROP TABLE case_categories;
