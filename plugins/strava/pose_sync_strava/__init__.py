"""pose-sync connector for Strava (API v3 through stravalib)."""
