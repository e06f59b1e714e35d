"""The demo region and synthetic regions for scale tests."""
