DROP TABLE login_throttle;
DROP TABLE case_counters;
