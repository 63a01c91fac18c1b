"""Operating the platform: backups that restore, readiness, the database half of the metrics."""
