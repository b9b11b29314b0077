DROP TRIGGER case_events_no_change ON case_events;
DROP FUNCTION case_events_append_only();
DROP TABLE case_events;
DROP TABLE cases;
DROP TABLE case_deadline_rules;
DROP TABLE case_categories;
