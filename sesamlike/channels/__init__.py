"""The aids centre's pages and commands for the supplier and pharmacy channels,
purchase proposals and reorder points (docs/channel-files.md)."""
