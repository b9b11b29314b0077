DROP TABLE satisfaction_standards;
