"""pose-sync connector for Garmin Connect (through garminconnect)."""
