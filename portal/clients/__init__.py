"""The outside world, each behind a small interface with a fake for development and tests."""
