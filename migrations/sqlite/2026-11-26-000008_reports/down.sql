DROP TABLE report_runs;
DROP TABLE improvement_measures;
