"""pose-sync connector for FIT files in folders: a mounted watch, an export folder."""
