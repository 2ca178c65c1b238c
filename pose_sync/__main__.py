"""``python -m pose_sync`` runs the CLI."""

from pose_sync.cli import main

main()
