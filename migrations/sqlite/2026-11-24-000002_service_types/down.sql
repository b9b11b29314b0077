DELETE FROM service_types;
